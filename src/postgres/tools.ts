// The PostgreSQL client tools (pg_dump, pg_restore, psql): where they are, which version,
// and running them (src/process/child-process.ts keeps their stderr for the failure reason).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RunnerError } from '../failures/runner-error.ts';
import { runProcess, type RunningProcess, type StdioEnd } from '../process/child-process.ts';

/** Directory of the client binaries; PATH when unset. The runner image sets it. */
export const PG_BINDIR_ENV = 'LIFEBOAT_PG_BINDIR';

export type PgTool = 'pg_dump' | 'pg_restore' | 'psql';

export function toolPath(tool: PgTool, env: NodeJS.ProcessEnv): string {
  const dir = env[PG_BINDIR_ENV];
  return dir ? join(dir, tool) : tool;
}

export async function toolVersion(tool: PgTool, env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(toolPath(tool, env), ['--version'], { env: { PATH: env.PATH ?? '' } });
    return stdout.trim();
  } catch (error) {
    throw new RunnerError('ToolFailed', `${tool} is not available (${(error as Error).message.split('\n')[0]})`, {
      cause: error,
    });
  }
}

export type RunningTool = RunningProcess;

export function runTool(
  tool: PgTool,
  args: string[],
  options: {
    /** The child's whole environment (libpqEnv: connection settings and nothing secret else). */
    env: NodeJS.ProcessEnv;
    /** The runner's environment, to locate the binary. */
    toolEnv: NodeJS.ProcessEnv;
    stdin: StdioEnd;
    stdout?: StdioEnd;
    signal?: AbortSignal;
  },
): RunningTool {
  return runProcess(tool, toolPath(tool, options.toolEnv), args, {
    env: options.env,
    stdio: [options.stdin, options.stdout ?? 'pipe'],
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
