// lifeboat-runner <subcommand> [--task-file PATH] [--result-file PATH]
// The program inside Lifeboat's Jobs. Reads its task (JSON, from --task-file or
// $LIFEBOAT_TASK), runs it, logs JSON lines to stdout, and writes a short JSON result to the
// termination-message file. Exit 0 on success; on failure a one-line reason on stderr and in
// the result, and exit 3 when a retry cannot help (RunnerExit.permanent, which the Job's
// podFailurePolicy turns into a failed Job at once) or 1 when it may; 2 for a bad command line.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { pino, type Logger } from 'pino';
import { DEFAULT_RESULT_FILE, RESULT_FILE_ENV, type RunnerResult } from '../contract/result.ts';
import { RunnerExit } from '../contract/runner-env.ts';
import { TASK_SCHEMAS, isSubcommand, type Subcommand, type TaskFor } from '../contract/tasks.ts';
import { isPermanentFailure } from '../failures/runner-error.ts';
import { s3ClientFactory } from '../s3/client.ts';
import { objectReaderFactory } from '../s3/object-reader.ts';
import type { RunnerContext, TaskSummary } from './context.ts';
import { describeFailure } from './describe-failure.ts';
import { createProgressReporter } from './progress.ts';
import { writeResult } from './result.ts';
import { loadTask } from './task.ts';

const USAGE = `usage: lifeboat-runner <subcommand> [--task-file PATH] [--result-file PATH]
subcommands: ${Object.keys(TASK_SCHEMAS).join(', ')}
The task is JSON, read from --task-file or the LIFEBOAT_TASK environment variable.`;

/** Subcommands load their code on demand: a restore Job never loads the backup path. */
async function dispatch<S extends Subcommand>(subcommand: S, task: TaskFor<S>, ctx: RunnerContext): Promise<TaskSummary> {
  const run = async <T>(load: Promise<{ [name: string]: unknown }>, name: string): Promise<TaskSummary> => {
    const module = await load;
    return (module[name] as (task: T, ctx: RunnerContext) => Promise<TaskSummary>)(task as T, ctx);
  };
  switch (subcommand) {
    case 'postgres-backup':
      return run(import('./postgres-backup.ts'), 'runPostgresBackup');
    case 'postgres-restore':
      return run(import('./postgres-restore.ts'), 'runPostgresRestore');
    case 'bucket-backup':
      return run(import('./bucket-backup.ts'), 'runBucketBackup');
    case 'bucket-restore':
      return run(import('./bucket-restore.ts'), 'runBucketRestore');
    case 'verify':
      return run(import('./verify.ts'), 'runVerify');
    case 'finalize-run':
      return run(import('./finalize-run.ts'), 'runFinalizeRun');
    case 'scratch-create':
      return run(import('./scratch.ts'), 'runScratchCreate');
    case 'scratch-drop':
      return run(import('./scratch.ts'), 'runScratchDrop');
    case 'drill-check':
      return run(import('./drill-check.ts'), 'runDrillCheck');
    case 'bucket-check':
      return run(import('./bucket-check.ts'), 'runBucketCheck');
  }
  throw new Error(`unknown subcommand ${subcommand as string}`);
}

export interface MainOptions {
  argv: string[];
  env: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Cancellation; main installs SIGTERM/SIGINT handlers when absent. */
  signal?: AbortSignal;
}

/** Runs one invocation; returns the exit code. */
export async function main(options: MainOptions): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: options.argv,
      allowPositionals: true,
      options: {
        'task-file': { type: 'string' },
        'result-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    process.stderr.write(`lifeboat-runner: ${(error as Error).message}\n${USAGE}\n`);
    return RunnerExit.usage;
  }
  const [subcommand] = parsed.positionals;
  if (parsed.values.help || !subcommand) {
    process.stderr.write(`${USAGE}\n`);
    return parsed.values.help ? RunnerExit.succeeded : RunnerExit.usage;
  }
  if (!isSubcommand(subcommand) || parsed.positionals.length > 1) {
    process.stderr.write(`lifeboat-runner: unknown subcommand ${parsed.positionals.join(' ')}\n${USAGE}\n`);
    return RunnerExit.usage;
  }
  const resultFile = parsed.values['result-file'] ?? options.env[RESULT_FILE_ENV] ?? DEFAULT_RESULT_FILE;
  const logger = (options.logger ?? pino({ base: { component: 'lifeboat-runner' } })).child({ subcommand });
  const controller = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
  const removeSignalHandlers = options.signal ? () => undefined : installSignalHandlers(controller, logger);

  const started = performance.now();
  let result: RunnerResult;
  try {
    const task = await loadTask(subcommand, {
      env: options.env,
      ...(parsed.values['task-file'] ? { taskFile: parsed.values['task-file'] } : {}),
    });
    const ctx: RunnerContext = {
      logger,
      s3: s3ClientFactory({ env: options.env }),
      objects: objectReaderFactory({ env: options.env }),
      signal,
      progress: createProgressReporter(logger),
      env: options.env,
      now: () => new Date(),
    };
    // The heap V8 was given (NODE_OPTIONS from the Job's memory limit, src/core/jobs/runner-heap.ts).
    logger.info({ heapSizeLimitBytes: getHeapStatistics().heap_size_limit, nodeOptions: options.env.NODE_OPTIONS }, 'task started');
    const summary = await dispatch(subcommand, task, ctx);
    result = { ok: true, subcommand, summary };
    logger.info({ summary, seconds: seconds(started), peakRssBytes: peakRssBytes() }, 'task succeeded');
  } catch (error) {
    const failure = describeFailure(error, signal);
    result = { ok: false, subcommand, ...failure };
    logger.error(
      { code: failure.code, reason: failure.reason, seconds: seconds(started), peakRssBytes: peakRssBytes(), err: error },
      'task failed',
    );
    process.stderr.write(`lifeboat-runner ${subcommand}: ${failure.reason}\n`);
  } finally {
    removeSignalHandlers();
  }
  try {
    await writeResult(resultFile, result);
  } catch (error) {
    logger.warn({ resultFile, err: error }, 'could not write the result file');
  }
  if (result.ok) return RunnerExit.succeeded;
  return isPermanentFailure(result.code) ? RunnerExit.permanent : RunnerExit.retryable;
}

function seconds(since: number): number {
  return Math.round(performance.now() - since) / 1000;
}

/** The most memory this process has held at once, so a Job's memory limit can be sized from a real run. */
function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

function installSignalHandlers(controller: AbortController, logger: Logger): () => void {
  const onSignal = (name: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      process.exit(130); // a second signal: stop waiting for cleanup
    }
    logger.warn({ signal: name }, 'termination requested: stopping and cleaning up');
    controller.abort(new Error(`received ${name}`));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

/**
 * Old-generation growth of 2x after each full collection, instead of V8's dynamic factor, for a
 * runner given a heap of at least HEAP_GROWING_MIN_BYTES (the default 1Gi memory limit, or no
 * limit). The runner's live heap is small (20-30 MB) and nearly all it allocates is short-lived
 * buffers outside the heap (socket reads, compressor output), yet with a configured heap limit
 * (the Job's --max-old-space-size) V8 kept the old generation's limit only ~16 MB above the live
 * size and started a full collection every few MB: 106-109 of them for 20,000 small objects,
 * against 3 with this factor, and 30% less runner CPU (17.4 -> 12.2 user s; peak RSS 197 MB,
 * 251 MB with 4 x 256 MB objects). The price is memory: buffers outside the heap are freed only
 * when a full collection finds them dead, so fewer collections hold more of them. With the
 * 256Mi limit's 96 MB old space a 300 MB object among 20,000 small ones peaked at 403 MiB RSS
 * on a loaded machine, so small heaps keep V8's own factor. Node refuses this flag in
 * NODE_OPTIONS, and V8 reads it at every collection, so setting it here, first, is enough.
 */
const HEAP_GROWING_FLAG = '--heap-growing-percent=100';
const HEAP_GROWING_MIN_BYTES = 384 * 1024 * 1024;

const invokedDirectly = isEntryPoint();
if (invokedDirectly) {
  if (getHeapStatistics().heap_size_limit >= HEAP_GROWING_MIN_BYTES) setFlagsFromString(HEAP_GROWING_FLAG);
  const code = await main({ argv: process.argv.slice(2), env: process.env });
  // Sockets kept alive by the S3 client would hold the process; the work is done.
  process.exit(code);
}
