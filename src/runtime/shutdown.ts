// Graceful shutdown: on SIGTERM/SIGINT run the steps in order, each bounded, then exit.
// A second signal exits at once (an operator that hangs on shutdown must still be stoppable).
import type { Logger } from 'pino';

export interface ShutdownStep {
  name: string;
  run: () => Promise<unknown>;
  /** Give up on this step after this long and go on with the next. */
  timeoutMs: number;
}

/** Runs the steps one after another; a failing or hanging step is logged and skipped. Returns whether all completed. */
export async function runShutdownSteps(steps: ShutdownStep[], logger: Logger): Promise<boolean> {
  let clean = true;
  for (const step of steps) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), step.timeoutMs);
    });
    try {
      const outcome = await Promise.race([step.run().then(() => 'done' as const), timeout]);
      if (outcome === 'timeout') {
        clean = false;
        logger.warn({ step: step.name, timeoutMs: step.timeoutMs }, 'shutdown step timed out; going on');
      } else {
        logger.debug({ step: step.name }, 'shutdown step done');
      }
    } catch (error) {
      clean = false;
      logger.error({ err: error, step: step.name }, 'shutdown step failed; going on');
    } finally {
      clearTimeout(timer);
    }
  }
  return clean;
}

export interface SignalHandlingOptions {
  logger: Logger;
  /** Everything to do before exiting; resolves to the exit code. */
  shutdown: (signal: NodeJS.Signals) => Promise<number>;
  signals?: NodeJS.Signals[];
  exit?: (code: number) => void;
}

/** Installs the handlers; returns a function that removes them. */
export function exitOnSignals(options: SignalHandlingOptions): () => void {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let shuttingDown = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (shuttingDown) {
      options.logger.warn({ signal }, 'second signal: exiting now');
      exit(130);
      return;
    }
    shuttingDown = true;
    options.logger.info({ signal }, 'shutting down');
    options.shutdown(signal).then(
      (code) => exit(code),
      (error: unknown) => {
        options.logger.error({ err: error }, 'shutdown failed');
        exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, handler);
  return () => {
    for (const signal of signals) process.off(signal, handler);
  };
}
