// Polls until a condition holds, with a bound: tests against a real control plane wait for
// controllers, never sleep for a fixed time.
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** What is awaited, for the error message: "the Job to complete". */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Calls `check` until it returns something other than undefined/false/null and returns that.
 * Errors thrown by `check` count as "not yet"; the last one is reported on timeout.
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  { what, timeoutMs = 60_000, intervalMs = 250 }: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let lastValue: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value;
      lastValue = value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError ? `; last error: ${(lastError as Error).message ?? String(lastError)}` : `; last value: ${String(lastValue)}`;
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${detail}`);
    }
    await sleep(intervalMs);
  }
}
