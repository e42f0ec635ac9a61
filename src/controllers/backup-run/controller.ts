// BackupRun: observe (the run, its schedule, its Jobs and their pods, its Secrets) ->
// decideBackupRun -> act. Job and pod changes map to their run by label; a schedule change
// wakes the runs that still wait for it.
import { podTerminationChanged } from '../../core/job-set/index.ts';
import { DEFAULT_BACKUP_RUN_CONFIG, decideBackupRun, type BackupRunConfig } from '../../core/index.ts';
import type { KubeObject } from '../../kube/types.ts';
import { Controller, done, type ReconcileRequest, type ReconcileResult } from '../../runtime/controller.ts';
import type { ControllerContext, ControllerSetup } from '../../runtime/controller-setup.ts';
import { keyOf, type ObjectKey } from '../../runtime/object-key.ts';
import { asRelated, backupInformers, type BackupInformers } from '../informers.ts';
import { requeueResult } from '../requeue.ts';
import { backupMetrics, type BackupMetrics } from '../metrics.ts';
import { runKeysOfChild } from '../owner-keys.ts';
import { SupersededVersions } from '../superseded-versions.ts';
import { actOnRun } from './act.ts';
import { observeRun } from './observe.ts';

const FINAL_PHASES = new Set(['Succeeded', 'PartiallyFailed', 'Failed']);

export function backupRunConfig(context: ControllerContext): BackupRunConfig {
  return { ...DEFAULT_BACKUP_RUN_CONFIG, runner: { image: context.config.runnerImage } };
}

export const backupRunController: ControllerSetup = (context) => {
  const informers = backupInformers(context.informers);
  const metrics = backupMetrics(context.metrics.registry, context.metrics.prefix, informers);
  const config = backupRunConfig(context);
  const versions = new SupersededVersions();
  return new Controller({
    name: 'backup-run',
    kind: 'BackupRun',
    primary: informers.runs,
    related: [
      { informer: informers.jobs, keysFor: runKeysOfChild },
      { informer: informers.pods, keysFor: runKeysOfChild, changed: podTerminationChanged },
      { informer: asRelated(informers.schedules), keysFor: (schedule) => waitingRunKeys(informers, schedule) },
    ],
    reconcile: (request) => reconcileRun(context, informers, metrics, config, request, versions),
    workers: context.config.workers,
    logger: context.logger,
    metrics: context.metrics,
    events: context.events,
    clock: context.clock,
  });
};

/** Runs of this schedule that have not finished: a schedule appearing or changing may let them go on. */
function waitingRunKeys(informers: BackupInformers, schedule: KubeObject): ObjectKey[] {
  return informers.runs
    .list(schedule.metadata.namespace)
    .filter((run) => run.spec.scheduleRef?.name === schedule.metadata.name && !FINAL_PHASES.has(run.status?.phase ?? ''))
    .map(keyOf);
}

/** One pass over one run; exported for the controller's unit tests. */
export async function reconcileRun(
  context: ControllerContext,
  informers: BackupInformers,
  metrics: BackupMetrics,
  config: BackupRunConfig,
  request: ReconcileRequest,
  versions = new SupersededVersions(),
): Promise<ReconcileResult> {
  const { key, namespace, name, log, signal } = request;
  const object = informers.runs.get(namespace, name);
  if (!object) {
    versions.forget(key);
    return done;
  }
  // Our own write is on its way to the cache, and its event will queue the run again.
  if (versions.isBehind(key, object.metadata.resourceVersion)) return done;
  const client = context.client;
  const observed = await observeRun({ client, informers, object, signal });
  const decision = decideBackupRun(observed, new Date(context.clock.now()), config);
  versions.wrote(key, await actOnRun({ client, events: context.events, object, decision, signal }));

  const before = object.status?.phase;
  const after = decision.status.phase;
  if (decision.statusChanged && before !== after) {
    log.info({ phase: after, previous: before }, 'run changed phase');
    if (after && FINAL_PHASES.has(after)) metrics.observeFinishedRun(object, after, decision.status.durationSeconds);
  }
  return requeueResult(decision.requeueAfterMs);
}
