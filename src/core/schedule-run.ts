// One BackupRun of a schedule as the schedule and its retention see it, and the order both
// walk runs in. Below both (schedule/ uses retention/, retention/ needs the runs), so that the
// imports between them run one way.
import type { BackupRun } from '../api/index.ts';
import type { VerifiedStatus } from './backup-run/usable-backup.ts';

export type RunPhase = NonNullable<NonNullable<BackupRun['status']>['phase']>;

/** One BackupRun of the schedule, as far as the schedule cares. */
export interface ScheduleRunView {
  name: string;
  /** Undefined until the run's first reconcile. */
  phase?: RunPhase | undefined;
  /** The cron time it was created for; undefined for manual runs. */
  scheduledTime?: Date | undefined;
  creationTime: Date;
  completionTime?: Date | undefined;
  snapshotTime?: Date | undefined;
  sizeBytes?: number | undefined;
  /**
   * Its Verified condition's status: with the phase, whether it is a usable backup
   * (backup-run/usable-backup.ts). Succeeded with Verified False is a failed backup.
   */
  verified?: VerifiedStatus;
  /** It has a deletionTimestamp (its finalizer may still be deleting artifacts). */
  deleting?: boolean | undefined;
}

/** The point in time a run's data is from: its snapshot, else when it completed, else when it was created. */
export function dataTime(run: ScheduleRunView): Date {
  return run.snapshotTime ?? run.completionTime ?? run.creationTime;
}

/** Newest first by data time; ties broken by name so that every decision is deterministic. */
export function newestFirst(a: ScheduleRunView, b: ScheduleRunView): number {
  return dataTime(b).getTime() - dataTime(a).getTime() || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0);
}

export function isActive(run: ScheduleRunView): boolean {
  return !run.deleting && (run.phase === undefined || run.phase === 'Pending' || run.phase === 'Running');
}
