// A RestoreRequest being deleted while it runs: its finalizer holds it until its Jobs have
// stopped (foreground, so no runner writes after the delete returns), and an event per stopped
// target says what state the target was left in, so nobody mistakes it for a restored copy.
import { normal, warning } from '../events.ts';
import { stopUnfinished, JOBS_STOPPING_RECHECK_MS } from '../job-set/index.ts';
import { RESTORE_FINALIZER } from '../metadata.ts';
import { destinationOf } from './target-state.ts';
import { restoreJobName } from '../jobs/restore-job.ts';
import type { ObservedRestore, RestoreAction, RestoreDecision } from './types.ts';

export function decideRestoreDeletion({ restore, jobs }: ObservedRestore): RestoreDecision {
  const status = restore.status ?? {};
  const unchanged = (actions: RestoreAction[], requeueAfterMs?: number): RestoreDecision => ({ actions, status, statusChanged: false, requeueAfterMs });
  if (!restore.metadata.finalizers?.includes(RESTORE_FINALIZER)) return unchanged([]);
  const { unfinished, actions } = stopUnfinished(jobs);
  if (unfinished.length === 0) return unchanged([normal('FinalizerReleased', 'no restore Job is running; the RestoreRequest can go'), { type: 'RemoveFinalizer', finalizer: RESTORE_FINALIZER }]);
  const name = restore.metadata.name ?? '';
  for (const target of restore.spec.targets) {
    const jobName = restoreJobName(name, target.source);
    if (!actions.some((action) => action.type === 'DeleteJob' && action.name === jobName)) continue;
    const left = target.postgres
      ? `database ${destinationOf(target)} may be partly restored: a streamed restore runs in one transaction and rolls back, but a database the restore created stays behind (drop it, or restore again with overwritePolicy Clean)`
      : `bucket ${destinationOf(target)} keeps the objects written before the stop (restore again with overwritePolicy Overwrite, or delete them)`;
    actions.push(warning('RestoreStopped', `the RestoreRequest was deleted while Job ${jobName} was restoring source ${target.source}; it was stopped: ${left}`));
  }
  return unchanged(actions, JOBS_STOPPING_RECHECK_MS);
}
