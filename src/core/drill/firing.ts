// When a drill starts a run.
//
// - One-off drill (no spec.schedule): exactly one run, for the drill's creation time, at the
//   first pass that may start it (spec valid, BackupSchedule found, not suspended, no run of the
//   drill in progress). Once status.lastScheduleTime is set it never starts another: re-applying
//   or editing the drill does not drill again; a DRDrillRun created by hand does.
// - Recurring drill: decideFire (schedule/fire-decision.ts), CronJob's way, with concurrencyPolicy
//   Forbid: a due time waits while any run of the drill is in progress (runs created by hand
//   too), only the most recent due time may start, and one not started within
//   startingDeadlineSeconds is reported as missed (MissedSchedule) and never run.
//
// Each missed time is reported once. decideFire counts from `since`, which moves only when a run
// is created; so a time missed past its deadline would be reported again at every pass until
// the next run, and once more in that run's count. Status remembers what was reported:
// everything before status.nextRunTime (and not in the future) was started or reported in the
// pass that wrote it, so while the spec is unchanged (observedGeneration) `since` starts there.
// After an edit, decideFire's own rule applies, as for a schedule. RunDelayed is left out: it
// would repeat at every pass while a run holds a due time back, and the status shows that
// already (an overdue nextRunTime next to the active run).
import type { RecordEvent } from '../events.ts';
import type { ScheduleRunView } from '../schedule-run.ts';
import { latestFireTime, type ScheduleTiming } from '../schedule/cron-times.ts';
import { decideFire } from '../schedule/fire-decision.ts';
import { earliest, latest, parseTime } from '../time.ts';
import { isRunning } from './run-view.ts';
import type { ObservedDrill } from './types.ts';

export interface DrillFire {
  /** Create the run for this time now. */
  fire?: Date | undefined;
  events: RecordEvent[];
  /** For status: the upcoming fire time, or the overdue one while a run in progress holds it back. */
  nextRunTime?: Date | undefined;
  /** When the outcome can next change without any object changing. */
  wakeAt?: Date | undefined;
}

export function timingOf(observed: ObservedDrill): ScheduleTiming | undefined {
  const { schedule, timeZone } = observed.spec;
  return schedule === undefined ? undefined : { schedule, timeZone: timeZone ?? 'UTC' };
}

/** `mayStart`: the spec is valid and the BackupSchedule exists. */
export function decideDrillFire(observed: ObservedDrill, now: Date, mayStart: boolean): DrillFire {
  if (!mayStart) return { events: [] };
  const timing = timingOf(observed);
  return timing ? recurring(observed, timing, now) : oneOff(observed);
}

function oneOff(observed: ObservedDrill): DrillFire {
  const { spec, status, runs, creationTime } = observed;
  const started = status?.lastScheduleTime !== undefined || runs.some((run) => run.scheduledTime?.getTime() === creationTime.getTime());
  if (started || spec.suspend || runs.some(isRunning)) return { events: [] };
  return { fire: creationTime, events: [] };
}

function recurring(observed: ObservedDrill, timing: ScheduleTiming, now: Date): DrillFire {
  const { spec, status, runs, creationTime } = observed;
  const running = runs.filter(isRunning);
  const fire = decideFire(
    {
      timing,
      suspend: spec.suspend,
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: spec.startingDeadlineSeconds,
      since: latest([parseTime(status?.lastScheduleTime), ...runs.map((run) => run.scheduledTime), creationTime, reportedUntil(observed, timing, now)])!,
      active: running.map((run): ScheduleRunView => ({ name: run.name, phase: 'Running', creationTime: run.creationTime })),
    },
    now,
  );
  return {
    fire: fire.fire,
    events: fire.events.filter((event) => event.event.reason !== 'RunDelayed'),
    nextRunTime: fire.nextScheduleTime,
    wakeAt: fire.wakeAt,
  };
}

/** The newest fire time the status says was already started or reported (see the top). */
function reportedUntil(observed: ObservedDrill, timing: ScheduleTiming, now: Date): Date | undefined {
  const { status, generation } = observed;
  const next = parseTime(status?.nextRunTime);
  if (!next || status?.observedGeneration !== generation) return undefined;
  return latestFireTime(timing, earliest([new Date(next.getTime() - 1), now])!);
}
