// A RestoreRequest being deleted while it runs: its finalizer holds it until its Jobs have
// stopped (foreground, so no runner writes after the delete returns), and an event per stopped
// target says what state the target was left in, so nobody mistakes it for a restored copy:
// the runner rolls back a one-transaction restore and drops a database it created as it stops.
import type { RestoreTarget } from '../../api/index.ts';
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
    actions.push(warning('RestoreStopped', `the RestoreRequest was deleted while Job ${jobName} was restoring source ${target.source}; it was stopped: ${leftAs(target)}`));
  }
  return unchanged(actions, JOBS_STOPPING_RECHECK_MS);
}

/**
 * What a stopped Job leaves behind. The runner, told to stop (SIGTERM), ends pg_restore and drops
 * a database it created before it exits; only a runner killed before that leaves one behind.
 */
function leftAs(target: RestoreTarget): string {
  const where = destinationOf(target);
  if (target.bucket) return `bucket ${where} keeps the objects written before the stop (restore again with overwritePolicy Overwrite, or delete them)`;
  const dropped = 'a database the restore created is dropped as the runner stops (only a runner killed before it could leaves it behind: drop it)';
  const jobs = target.postgres?.parallelJobs ?? 1;
  if (jobs === 1) return `database ${where} is left as it was before the restore: a restore with parallelJobs 1 runs in one transaction, which rolls back, and ${dropped}`;
  return `database ${where} may be partly restored: with parallelJobs ${jobs} pg_restore commits as it goes, so what it restored stays (restore again with overwritePolicy Clean), and ${dropped}`;
}
