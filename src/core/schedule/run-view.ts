// From a BackupRun object to what the schedule decides on, and which runs belong to a schedule.
import type { BackupRun } from '../../api/index.ts';
import { findCondition } from '../conditions.ts';
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
    verified: findCondition(status?.conditions, 'Verified')?.status === 'True',
    deleting: run.metadata.deletionTimestamp !== undefined,
  };
}
