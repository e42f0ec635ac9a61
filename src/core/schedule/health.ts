// A BackupSchedule's health (docs/adr/0013-conditions-follow-kstatus.md). A schedule is never in
// progress: it is current while it can do its job, and failed when a person must look:
//   InvalidSpec > ObjectiveMissed > LastBackupFailed > Scheduled / Suspended.
// A missed RPO objective fails it even when every run succeeded (the backups are too old to
// meet the promise), and so does a newest finished run that failed, until a newer one succeeds.
// A run that failed verification is a failed run (backup-run/usable-backup.ts); one still being
// verified has not finished being judged, so the verdict before it stands until it is.
import { ConditionReasons, type Problem } from '../../api/index.ts';
import { backupUsability, isFailedBackup } from '../backup-run/usable-backup.ts';
import { current, failed, type Health } from '../health.ts';
import { dataTime, type ScheduleRunView } from '../schedule-run.ts';
import { formatTime } from '../time.ts';
import type { RpoState } from './rpo.ts';

export interface ScheduleHealthInput {
  spec: { schedule: string; timeZone: string; suspend?: boolean | undefined };
  errors: readonly Problem[];
  rpo: RpoState | undefined;
  /** The runs that count: not being deleted, not pruned this pass. */
  runs: readonly ScheduleRunView[];
}

export function scheduleHealth({ spec, errors, rpo, runs }: ScheduleHealthInput): Health {
  if (errors.length > 0) return failed(ConditionReasons.InvalidSpec, errors.map((problem) => `${problem.field}: ${problem.message}`).join('; '));
  if (rpo?.missed) return failed(ConditionReasons.ObjectiveMissed, rpo.missed);
  const last = newestFinished(runs);
  if (last && isFailedBackup(last)) {
    const again = 'the schedule is Ready again when a newer backup succeeds';
    if (last.phase === 'Succeeded') {
      return failed(ConditionReasons.LastBackupFailed, `the newest finished BackupRun ${last.name} (completed at ${formatTime(finishedAt(last))}) failed verification: its artifacts do not read back as its manifest says, so it cannot be restored; see its Verified condition, ${again}`);
    }
    const how = last.phase === 'PartiallyFailed' ? 'partially failed' : 'failed';
    return failed(ConditionReasons.LastBackupFailed, `the newest finished BackupRun ${last.name} ${how} at ${formatTime(finishedAt(last))}; see its status, ${again}`);
  }
  if (spec.suspend) return current(ConditionReasons.Suspended, 'suspended: no new runs are created');
  return current(ConditionReasons.Scheduled, `runs are created on "${spec.schedule}" in ${spec.timeZone}`);
}

const FINISHED = new Set(['Succeeded', 'PartiallyFailed', 'Failed']);

function finishedAt(run: ScheduleRunView): Date {
  return run.completionTime ?? dataTime(run);
}

/** The run that finished last (by completion; ties by name, so the verdict is deterministic), not counting one still being verified. */
export function newestFinished(runs: readonly ScheduleRunView[]): ScheduleRunView | undefined {
  return runs
    .filter((run) => FINISHED.has(run.phase ?? '') && !run.deleting && backupUsability(run) !== 'verifying')
    .sort((a, b) => finishedAt(b).getTime() - finishedAt(a).getTime() || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0))[0];
}
