// BackupSchedule: observe (the schedule and its runs from the caches; on its very first pass,
// the catalog in the bucket) -> decideSchedule -> act. Requeued for the next cron time or the
// instant RPOMet flips, whichever comes first.
import { errorsOf } from '../../api/index.ts';
import { catalogSyncDue, decideSchedule, runViewChanged } from '../../core/index.ts';
import { Controller, done, type ReconcileRequest, type ReconcileResult } from '../../runtime/controller.ts';
import type { ControllerContext, ControllerSetup } from '../../runtime/controller-setup.ts';
import { asRelated, backupInformers, type BackupInformers, type StoredRun } from '../informers.ts';
import { requeueResult } from '../requeue.ts';
import { backupMetrics } from '../metrics.ts';
import { scheduleKeysOfRun } from '../owner-keys.ts';
import { SupersededVersions } from '../superseded-versions.ts';
import { actOnSchedule } from './act.ts';
import { syncCatalog } from './catalog.ts';
import { observeSchedule } from './observe.ts';

export const backupScheduleController: ControllerSetup = (context) => {
  const informers = backupInformers(context.informers);
  backupMetrics(context.metrics.registry, context.metrics.prefix, informers);
  const versions = new SupersededVersions();
  return new Controller({
    name: 'backup-schedule',
    kind: 'BackupSchedule',
    primary: informers.schedules,
    // A run's update concerns its schedule only when it changes what the schedule reads.
    related: [{ informer: asRelated(informers.runs), keysFor: scheduleKeysOfRun, changed: (previous, next) => runViewChanged(previous as StoredRun, next as StoredRun) }],
    reconcile: (request) => reconcileSchedule(context, informers, request, versions),
    workers: context.config.workers,
    logger: context.logger,
    metrics: context.metrics,
    events: context.events,
    clock: context.clock,
  });
};

/** One pass over one schedule; exported for the controller's unit tests. */
export async function reconcileSchedule(
  context: ControllerContext,
  informers: BackupInformers,
  request: ReconcileRequest,
  versions = new SupersededVersions(),
): Promise<ReconcileResult> {
  const { key, namespace, name, log, signal } = request;
  const object = informers.schedules.get(namespace, name);
  if (!object || object.metadata.deletionTimestamp) {
    versions.forget(key);
    return done;
  }
  // Our own status write is on its way to the cache (a run it created arrived first); its event queues the schedule again.
  if (versions.isBehind(key, object.metadata.resourceVersion)) return done;
  const runsInNamespace = informers.runs.list(namespace);
  const observed = observeSchedule(object, runsInNamespace);
  const now = new Date(context.clock.now());

  if (catalogSyncDue(object.status) && errorsOf(observed.problems).length === 0) {
    await syncCatalog({ client: context.client, events: context.events, object, observed, runsInNamespace, now, log, signal });
  }

  const decision = decideSchedule(observed, now);
  versions.wrote(key, await actOnSchedule({ client: context.client, events: context.events, object, decision, signal }));
  const created = decision.actions.filter((action) => action.type === 'CreateBackupRun').map((action) => action.run.metadata.name);
  const pruned = decision.actions.filter((action) => action.type === 'DeleteBackupRun').map((action) => action.name);
  if (created.length > 0 || pruned.length > 0) log.info({ created, deleted: pruned }, 'schedule acted');
  return requeueResult(decision.requeueAfterMs);
}
