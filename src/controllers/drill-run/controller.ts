// DRDrillRun: observe (the run, its drill, the schedule's spec, the manifests in storage, its
// Jobs and pods, its Secrets) -> decideDrillRun -> act. Job and pod changes map to their run by
// label; the drill and the schedule appearing wake the runs still waiting for them.
import { podTerminationChanged } from '../../core/job-set/index.ts';
import { DEFAULT_DRILL_RUN_CONFIG, decideDrillRun, type DrillRunConfig } from '../../core/drill-run/index.ts';
import { Labels } from '../../core/index.ts';
import { Controller, done, type ReconcileRequest, type ReconcileResult } from '../../runtime/controller.ts';
import type { ControllerContext, ControllerSetup } from '../../runtime/controller-setup.ts';
import { keyOf, labelKeys, type ObjectKey } from '../../runtime/object-key.ts';
import { operatorVersion } from '../../runtime/version.ts';
import { asRelated, backupInformers } from '../informers.ts';
import { requeueResult } from '../requeue.ts';
import { DR_DRILL_RUNS, DR_DRILLS } from '../resource-types.ts';
import { actOnDrillRun } from './act.ts';
import { observeDrillRun, type DrillRunInformers, type StoredDrill, type StoredDrillRun } from './observe.ts';

export function drillRunConfig(context: Pick<ControllerContext, 'config'>): DrillRunConfig {
  return { ...DEFAULT_DRILL_RUN_CONFIG, runner: { image: context.config.runnerImage }, operatorVersion: operatorVersion() };
}

export function drillRunInformers(context: Pick<ControllerContext, 'informers'>): DrillRunInformers {
  const backup = backupInformers(context.informers);
  return {
    runs: context.informers.informerFor<StoredDrillRun>(DR_DRILL_RUNS),
    drills: context.informers.informerFor<StoredDrill>(DR_DRILLS),
    schedules: backup.schedules,
    jobs: backup.jobs,
    pods: backup.pods,
  };
}

export const drillRunController: ControllerSetup = (context) => {
  const informers = drillRunInformers(context);
  const config = drillRunConfig(context);
  return new Controller({
    name: 'drill-run',
    kind: 'DRDrillRun',
    primary: informers.runs,
    related: [
      { informer: informers.jobs, keysFor: (child) => labelKeys(child, Labels.drillRun) },
      { informer: informers.pods, keysFor: (child) => labelKeys(child, Labels.drillRun), changed: podTerminationChanged },
      { informer: asRelated(informers.drills), keysFor: (drill) => unfinishedRunKeys(informers, drill.metadata.namespace, (run) => run.spec.drillRef?.name === drill.metadata.name) },
      { informer: asRelated(informers.schedules), keysFor: (schedule) => unfinishedRunKeys(informers, schedule.metadata.namespace, (run) => !run.status?.backup) },
    ],
    reconcile: (request) => reconcileDrillRun(context, informers, config, request),
    workers: context.config.workers,
    logger: context.logger,
    metrics: context.metrics,
    events: context.events,
    clock: context.clock,
  });
};

function unfinishedRunKeys(informers: DrillRunInformers, namespace: string | undefined, matches: (run: StoredDrillRun) => boolean): ObjectKey[] {
  return informers.runs
    .list(namespace)
    .filter((run) => run.status?.result !== 'Passed' && run.status?.result !== 'Failed' && matches(run))
    .map(keyOf);
}

export async function reconcileDrillRun(
  context: Pick<ControllerContext, 'client' | 'events' | 'clock'>,
  informers: DrillRunInformers,
  config: DrillRunConfig,
  request: Pick<ReconcileRequest, 'namespace' | 'name' | 'log' | 'signal'>,
): Promise<ReconcileResult> {
  const { namespace, name, log, signal } = request;
  const object = informers.runs.get(namespace, name);
  if (!object) return done;
  const observed = await observeDrillRun(context.client, informers, object, signal);
  const decision = decideDrillRun(observed, new Date(context.clock.now()), config);
  await actOnDrillRun({ client: context.client, events: context.events, object, decision, signal });
  if (decision.statusChanged && object.status?.result !== decision.status.result) {
    log.info({ result: decision.status.result, reason: decision.status.reason }, 'drill run changed result');
  }
  return requeueResult(decision.requeueAfterMs);
}

