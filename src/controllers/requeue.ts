// When to look at an object again. A timer holds at most 2^31-1 ms (24.8 days) and a yearly cron
// is further away than that (Node fires an overflowing timer at once, which would spin); and a
// pass costs little and re-decides from scratch. So a requeue is never later than an hour.
import { done, requeueAfter, type ReconcileResult } from '../runtime/controller.ts';

export const MAX_REQUEUE_MS = 60 * 60_000;

export function requeueResult(requeueAfterMs: number | undefined): ReconcileResult {
  return requeueAfterMs === undefined ? done : requeueAfter(Math.min(requeueAfterMs, MAX_REQUEUE_MS));
}
