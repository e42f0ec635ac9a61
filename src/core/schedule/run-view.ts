// From a BackupRun object to what the schedule decides on, and which runs belong to a schedule.
import type { BackupRun } from '../../api/index.ts';
import { verifiedStatusOf } from '../backup-run/usable-backup.ts';
import { Labels } from '../metadata.ts';
import type { ScheduleRunView } from '../schedule-run.ts';
import { parseTime } from '../time.ts';
import { scheduledTimeOf } from './run-name.ts';

/** Runs the schedule created (label) and runs created by hand with scheduleRef to it. */
export function runBelongsToSchedule(run: BackupRun, schedule: string): boolean {
  return run.metadata.labels?.[Labels.schedule] === schedule || run.spec.scheduleRef?.name === schedule;
}

export function toRunView(run: BackupRun, schedule: string): ScheduleRunView {
  const name = run.metadata.name ?? '';
  const status = run.status;
  return {
    name,
    phase: status?.phase,
    scheduledTime: scheduledTimeOf({ name, annotations: run.metadata.annotations }, schedule),
    creationTime: parseTime(run.metadata.creationTimestamp) ?? new Date(0),
    completionTime: parseTime(status?.completionTime),
    snapshotTime: parseTime(status?.snapshotTime),
    sizeBytes: status?.sizeBytes,
    verified: verifiedStatusOf(run),
    deleting: run.metadata.deletionTimestamp !== undefined,
  };
}

/**
 * Whether a change to a run is one the schedule sees: only then must the schedule be reconciled
 * again. Most updates of a run (finalizers, Job progress, conditions other than Verified) are not,
 * and each one used to cost its schedule a pass.
 */
export function runViewChanged(previous: BackupRun, next: BackupRun): boolean {
  // Which schedules it belongs to (label, scheduleRef, owners) decides whose pass it concerns.
  const scheduleOf = (run: BackupRun) =>
    [run.metadata.labels?.[Labels.schedule], run.spec.scheduleRef?.name, ...(run.metadata.ownerReferences ?? []).map((owner) => owner.name)].join('\u0000');
  if (scheduleOf(previous) !== scheduleOf(next)) return true;
  const schedule = next.metadata.labels?.[Labels.schedule] ?? next.spec.scheduleRef?.name ?? '';
  const before = toRunView(previous, schedule);
  const after = toRunView(next, schedule);
  return (Object.keys({ ...before, ...after }) as (keyof ScheduleRunView)[]).some((field) => !sameValue(before[field], after[field]));
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return a === b;
}
