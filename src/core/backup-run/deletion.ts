// A BackupRun being deleted (by a user, by retention, or with its schedule). With
// deletionPolicy Delete its finalizer holds it until the run's folder is gone from storage;
// S3 being unreachable makes DeleteArtifacts fail, so the finalizer stays and the I/O layer
// retries with backoff. Running Jobs are stopped first, so none writes after the delete.
//
// One exception keeps the artifacts: the run's owning schedule is gone or being deleted (the
// garbage collector is removing the runs with it). Deleting a schedule must not destroy its
// backups; they stay in the bucket, and re-applying the schedule brings them back (catalog sync).
import type { BackupRunStatus } from '../../api/index.ts';
import { normal } from '../events.ts';
import { runLocation } from '../jobs/backup-job.ts';
import { ARTIFACTS_FINALIZER } from '../metadata.ts';
import { runPrefix } from '../../contract/bucket-layout.ts';
import { JOBS_STOPPING_RECHECK_MS, stopUnfinished } from '../job-set/index.ts';
import { resolveRun } from './resolve.ts';
import type { BackupRunAction, BackupRunDecision, ObservedBackupRun } from './types.ts';

export function decideDeletion(observed: ObservedBackupRun): BackupRunDecision {
  const { run } = observed;
  const status: BackupRunStatus = run.status ?? {};
  const unchanged = (actions: BackupRunAction[], requeueAfterMs?: number): BackupRunDecision => ({ actions, status, statusChanged: false, requeueAfterMs });
  if (!run.metadata.finalizers?.includes(ARTIFACTS_FINALIZER)) return unchanged([]);
  const release: BackupRunAction = { type: 'RemoveFinalizer', finalizer: ARTIFACTS_FINALIZER };

  if (run.spec.deletionPolicy === 'Retain') {
    return unchanged([normal('ArtifactsRetained', 'deletionPolicy is Retain: the artifacts stay in storage'), release]);
  }
  const owner = run.metadata.ownerReferences?.find((reference) => reference.kind === 'BackupSchedule');
  const schedule = observed.schedule;
  if (owner && (!schedule || schedule.deleting || schedule.uid !== owner.uid)) {
    return unchanged([
      normal('ArtifactsRetained', `BackupSchedule ${owner.name} was deleted: the artifacts stay in storage, and re-applying the schedule brings this run back`),
      release,
    ]);
  }
  // Storage is all a delete needs; an imported run whose sources left the schedule still has it.
  const resolution = resolveRun(observed);
  const storage = run.spec.storage ?? run.status?.resolved?.storage ?? (resolution.ok ? resolution.storage : undefined);
  if (!storage) return unchanged([release]);
  const scheduleName = resolution.ok ? resolution.schedule : (run.status?.resolved?.schedule ?? run.spec.scheduleRef?.name);

  const stopping = stopUnfinished(observed.jobs);
  if (stopping.unfinished.length > 0) return unchanged(stopping.actions, JOBS_STOPPING_RECHECK_MS);
  const location = runLocation({ name: run.metadata.name ?? '', namespace: run.metadata.namespace ?? '', schedule: scheduleName });
  const prefix = `${runPrefix(storage.prefix ?? '', location)}/`;
  return unchanged([
    { type: 'DeleteArtifacts', storage, location, prefix },
    normal('ArtifactsDeleted', `deleted the artifacts under s3://${storage.bucket}/${prefix}`),
    release,
  ]);
}
