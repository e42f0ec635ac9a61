// Fire times of a cron schedule in an IANA time zone, via croner.
//
// DST, as Vixie cron and croner handle it (and what users of CronJob expect):
// - A fixed-time schedule (no wildcard or step in minute and hour, e.g. "30 2 * * *" or
//   "30 2,14 * * *") whose local time falls in the spring-forward gap (02:30 does not exist in
//   Europe/Berlin on the last Sunday of March) fires once, at the first instant after the gap
//   (03:00 CEST); on fall-back, when 02:30 happens twice, it fires once, at the first occurrence
//   (02:30 CEST). A daily backup therefore never disappears and never doubles.
// - An interval schedule ("*/30 * * * *", "@hourly") follows real time: times in the gap do
//   not exist, and both occurrences of a repeated hour fire.
import { Cron } from 'croner';

export interface ScheduleTiming {
  schedule: string;
  timeZone: string;
}

/** How many missed fire times are counted before giving up counting, as CronJob does. */
export const MAX_COUNTED_MISSED = 100;

function cronOf(timing: ScheduleTiming): Cron {
  return new Cron(timing.schedule, {
    paused: true,
    mode: '5-part',
    timezone: timing.timeZone,
    // Lists and ranges of fixed hours are fixed-time too: "30 2,14 * * *" runs once on fall-back.
    fixedTimeRule: 'no-wildcard',
  });
}

/** The first fire time strictly after `after`, or undefined when the schedule never fires again. */
export function nextFireTime(timing: ScheduleTiming, after: Date): Date | undefined {
  return cronOf(timing).nextRun(after) ?? undefined;
}

/** The last fire time at or before `time`. */
export function latestFireTime(timing: ScheduleTiming, atOrBefore: Date): Date | undefined {
  // previousRuns() looks strictly before its reference (and keeps whole seconds): a millisecond
  // later makes a fire time at exactly `atOrBefore` count.
  return cronOf(timing).previousRuns(1, new Date(atOrBefore.getTime() + 1))[0];
}

/** Fire times in (after, until], oldest first, at most `limit` of them. */
export function fireTimesBetween(timing: ScheduleTiming, after: Date, until: Date, limit = MAX_COUNTED_MISSED): Date[] {
  const cron = cronOf(timing);
  const times: Date[] = [];
  let cursor: Date | null = cron.nextRun(after);
  while (cursor && cursor.getTime() <= until.getTime() && times.length < limit) {
    times.push(cursor);
    cursor = cron.nextRun(cursor);
  }
  return times;
}
