// RestoreRequest: observe (the request, the BackupRuns it may restore, its Jobs and pods, its
// Secrets) -> decideRestore -> act. Job and pod changes map to their RestoreRequest by label; a
// BackupRun changing wakes the restores still waiting for a backup.
import { podTerminationChanged } from '../../core/job-set/index.ts';
import { DEFAULT_RESTORE_CONFIG, decideRestore, type RestoreConfig } from '../../core/restore/index.ts';
import { Labels } from '../../core/index.ts';
import type { KubeObject } from '../../kube/types.ts';
import { Controller, done, type ReconcileRequest, type ReconcileResult } from '../../runtime/controller.ts';
import type { ControllerContext, ControllerSetup } from '../../runtime/controller-setup.ts';
import { keyOf, labelKeys, type ObjectKey } from '../../runtime/object-key.ts';
import { asRelated, backupInformers } from '../informers.ts';
import { actOnJobSet } from '../job-set/act.ts';
import { requeueResult } from '../requeue.ts';
import { RESTORE_REQUESTS } from '../resource-types.ts';
import { restoreMetrics, type RestoreMetrics } from './metrics.ts';
import { observeRestore, type RestoreInformers, type StoredRestore } from './observe.ts';

const FINAL_PHASES = new Set(['Succeeded', 'PartiallyFailed', 'Failed']);

export function restoreConfig(context: ControllerContext): RestoreConfig {
  return { ...DEFAULT_RESTORE_CONFIG, runner: { image: context.config.runnerImage } };
}

export function restoreInformers(context: ControllerContext): RestoreInformers {
  const backup = backupInformers(context.informers);
  return { restores: context.informers.informerFor<StoredRestore>(RESTORE_REQUESTS), runs: backup.runs, jobs: backup.jobs, pods: backup.pods };
}

export const restoreRequestController: ControllerSetup = (context) => {
  const informers = restoreInformers(context);
  const metrics = restoreMetrics(context.metrics.registry, context.metrics.prefix, informers);
  const config = restoreConfig(context);
  return new Controller({
    name: 'restore-request',
    kind: 'RestoreRequest',
    primary: informers.restores,
    related: [
      { informer: informers.jobs, keysFor: (child) => labelKeys(child, Labels.restoreRequest) },
      { informer: informers.pods, keysFor: (child) => labelKeys(child, Labels.restoreRequest), changed: podTerminationChanged },
      { informer: asRelated(informers.runs), keysFor: (run) => waitingRestoreKeys(informers, run) },
    ],
    reconcile: (request) => reconcileRestore(context, informers, metrics, config, request),
    workers: context.config.workers,
    logger: context.logger,
    metrics: context.metrics,
    events: context.events,
    clock: context.clock,
  });
};

/** Restores of the run's namespace that have not started all their Jobs: a backup finishing or appearing may let them go on. */
function waitingRestoreKeys(informers: RestoreInformers, run: KubeObject): ObjectKey[] {
  return informers.restores
    .list(run.metadata.namespace)
    .filter((restore) => !FINAL_PHASES.has(restore.status?.phase ?? '') && restore.status?.phase !== 'Running')
    .map(keyOf);
}

export async function reconcileRestore(
  context: Pick<ControllerContext, 'client' | 'events' | 'clock'>,
  informers: RestoreInformers,
  metrics: RestoreMetrics,
  config: RestoreConfig,
  request: Pick<ReconcileRequest, 'namespace' | 'name' | 'log' | 'signal'>,
): Promise<ReconcileResult> {
  const { namespace, name, log, signal } = request;
  const object = informers.restores.get(namespace, name);
  if (!object) return done;
  const observed = await observeRestore(context.client, informers, object, signal);
  const decision = decideRestore(observed, new Date(context.clock.now()), config);
  await actOnJobSet({ client: context.client, events: context.events, type: RESTORE_REQUESTS, object, decision, signal });

  const before = object.status?.phase;
  const after = decision.status.phase;
  if (decision.statusChanged && before !== after) {
    log.info({ phase: after, previous: before }, 'restore changed phase');
    if (after && FINAL_PHASES.has(after)) metrics.observeFinishedRestore(object, after, decision.status.durationSeconds);
  }
  return requeueResult(decision.requeueAfterMs);
}
