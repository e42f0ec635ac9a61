// Progress of a long task as pino log lines: bytes and objects done and throughput, at most
// one line per interval so a 1 GB dump does not produce a million lines.
import type { Logger } from 'pino';

export interface ProgressSnapshot {
  phase: string;
  bytes: number;
  objects: number;
  elapsedSeconds: number;
  bytesPerSecond: number;
}

export interface ProgressReporter {
  /** Starts a new phase (e.g. "dump", "download", "restore"); counters restart at zero. */
  phase(name: string, totals?: { bytes?: number; objects?: number }): void;
  addBytes(count: number): void;
  addObjects(count: number): void;
  /** Logs the current phase's final figures and returns them. */
  finish(): ProgressSnapshot;
  snapshot(): ProgressSnapshot;
}

export function createProgressReporter(
  logger: Logger,
  options: { intervalMs?: number; now?: () => number } = {},
): ProgressReporter {
  const intervalMs = options.intervalMs ?? 5_000;
  const now = options.now ?? (() => performance.now());
  let name = 'start';
  let totals: { bytes?: number; objects?: number } = {};
  let bytes = 0;
  let objects = 0;
  let startedAt = now();
  let lastLogAt = startedAt;

  const snapshot = (): ProgressSnapshot => {
    const elapsedSeconds = (now() - startedAt) / 1000;
    return {
      phase: name,
      bytes,
      objects,
      elapsedSeconds: Math.round(elapsedSeconds * 1000) / 1000,
      bytesPerSecond: elapsedSeconds > 0 ? Math.round(bytes / elapsedSeconds) : 0,
    };
  };
  const log = (message: string): void => {
    lastLogAt = now();
    logger.info({ progress: { ...snapshot(), totalBytes: totals.bytes, totalObjects: totals.objects } }, message);
  };
  const maybeLog = (): void => {
    if (now() - lastLogAt >= intervalMs) log('progress');
  };

  return {
    phase(next, nextTotals = {}) {
      name = next;
      totals = nextTotals;
      bytes = 0;
      objects = 0;
      startedAt = now();
      lastLogAt = startedAt;
    },
    addBytes(count) {
      bytes += count;
      maybeLog();
    },
    addObjects(count) {
      objects += count;
      maybeLog();
    },
    finish() {
      log('phase done');
      return snapshot();
    },
    snapshot,
  };
}
