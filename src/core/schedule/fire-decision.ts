// Whether a scheduled run starts now, CronJob's way:
// - Only the most recent due time is started; older ones that got no run (the operator was
//   down, Forbid held them back) are counted as missed and reported in an event.
// - startingDeadlineSeconds: a due time may start until that many seconds after it (inclusive);
//   later it is missed. Unset, the most recent due time always starts, however late.
// - Forbid: while a run is active the due time waits; it starts when the active run ends, if it
//   is still within its deadline and no newer time has come due. Replace: the active runs are
//   deleted and the new one created in the same pass.
// - suspend: nothing starts. On resume the most recent time due while suspended starts, if it
//   is within the deadline (unset: always), as with CronJob.
import { warning, normal, type RecordEvent } from '../events.ts';
import type { ScheduleRunView } from '../schedule-run.ts';
import { formatTime } from '../time.ts';
import { fireTimesBetween, latestFireTime, MAX_COUNTED_MISSED, nextFireTime, type ScheduleTiming } from './cron-times.ts';

export interface FireInput {
  timing: ScheduleTiming;
  suspend: boolean;
  concurrencyPolicy: 'Forbid' | 'Replace';
  startingDeadlineSeconds?: number | undefined;
  /** The newest cron time already acted on (a run exists or existed for it), or the schedule's creation. */
  since: Date;
  active: readonly ScheduleRunView[];
}

export interface FireDecision {
  /** Create the run for this cron time now. */
  fire?: Date | undefined;
  /** Active runs to delete before creating the new one (Replace). */
  replace: string[];
  events: RecordEvent[];
  /** For status: the upcoming fire time, or the overdue one while Forbid holds it back. */
  nextScheduleTime?: Date | undefined;
  /** When the outcome can next change without any object changing. */
  wakeAt?: Date | undefined;
}

export function decideFire(input: FireInput, now: Date): FireDecision {
  if (input.suspend) return { replace: [], events: [] };
  const next = nextFireTime(input.timing, now);
  const due = latestFireTime(input.timing, now);
  if (!due || due.getTime() <= input.since.getTime()) return { replace: [], events: [], nextScheduleTime: next, wakeAt: next };

  const deadlineMs = input.startingDeadlineSeconds === undefined ? undefined : input.startingDeadlineSeconds * 1000;
  const events: RecordEvent[] = [];
  const skipped = fireTimesBetween(input.timing, input.since, new Date(due.getTime() - 1));
  if (skipped.length >= MAX_COUNTED_MISSED) {
    events.push(
      warning(
        'TooManyMissedSchedules',
        `more than ${MAX_COUNTED_MISSED} scheduled times since ${formatTime(skipped[0]!)} got no run (was the operator down, or the schedule suspended?); only the most recent, ${formatTime(due)}, may start`,
      ),
    );
  } else if (skipped.length > 0) {
    events.push(
      warning(
        'MissedSchedule',
        `${skipped.length} scheduled time(s) from ${formatTime(skipped[0]!)} to ${formatTime(skipped.at(-1)!)} got no run; only the most recent, ${formatTime(due)}, may start`,
      ),
    );
  }

  if (deadlineMs !== undefined && now.getTime() - due.getTime() > deadlineMs) {
    events.push(
      warning(
        'MissedSchedule',
        `the run due at ${formatTime(due)} was not started within startingDeadlineSeconds (${input.startingDeadlineSeconds}s); the next is due at ${next ? formatTime(next) : 'never'}`,
      ),
    );
    return { replace: [], events, nextScheduleTime: next, wakeAt: next };
  }

  const active = input.active.map((run) => run.name).sort();
  if (active.length > 0 && input.concurrencyPolicy === 'Forbid') {
    const expires = deadlineMs === undefined ? undefined : new Date(due.getTime() + deadlineMs + 1);
    const until = expires ? `; it is missed unless that ends by ${formatTime(new Date(expires.getTime() - 1))}` : '';
    events.push(normal('RunDelayed', `the run due at ${formatTime(due)} waits: ${active.join(', ')} is still running (concurrencyPolicy Forbid)${until}`));
    const wakeAt = [next, expires].filter((time): time is Date => time !== undefined).sort((a, b) => a.getTime() - b.getTime())[0];
    return { replace: [], events, nextScheduleTime: due, wakeAt };
  }
  return { fire: due, replace: active, events, nextScheduleTime: next, wakeAt: next };
}
