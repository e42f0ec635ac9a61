// Reads and checks the task a Job hands the runner (env var LIFEBOAT_TASK or a file given with
// --task-file). The schemas are the contract's (src/contract/tasks.ts), shared with the operator
// that writes the tasks; they are applied here, where the task enters.
import { readFile } from 'node:fs/promises';
import { TASK_ENV, TASK_SCHEMAS, type Subcommand, type TaskFor } from '../contract/tasks.ts';

export class InvalidTaskError extends Error {
  override name = 'InvalidTaskError';
}

/** Reads the task JSON from --task-file, else from $LIFEBOAT_TASK, and validates it. */
export async function loadTask<S extends Subcommand>(
  subcommand: S,
  source: { taskFile?: string; env: NodeJS.ProcessEnv },
): Promise<TaskFor<S>> {
  let text: string;
  if (source.taskFile) {
    text = await readFile(source.taskFile, 'utf8');
  } else {
    const fromEnv = source.env[TASK_ENV];
    if (!fromEnv) throw new InvalidTaskError(`no task: set ${TASK_ENV} or pass --task-file`);
    text = fromEnv;
  }
  return parseTask(subcommand, text);
}

export function parseTask<S extends Subcommand>(subcommand: S, text: string): TaskFor<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidTaskError(`task is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = TASK_SCHEMAS[subcommand].safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(task)'}: ${issue.message}`);
    throw new InvalidTaskError(`invalid ${subcommand} task: ${issues.join('; ')}`);
  }
  return parsed.data as TaskFor<S>;
}
