// DRDrill: observe (the drill, its runs and its BackupSchedule, from the caches) -> decideDrill
// -> act. A run changing wakes its drill (owner, label or drillRef), a BackupSchedule appearing or
// going wakes the drills that name it. Requeued for the next cron time.
import { decideDrill } from '../../core/drill/index.ts';
import { Controller, done, type ReconcileRequest, type ReconcileResult } from '../../runtime/controller.ts';
import type { ControllerContext, ControllerSetup } from '../../runtime/controller-setup.ts';
import { asRelated } from '../informers.ts';
import { requeueResult } from '../requeue.ts';
import { actOnDrill } from './act.ts';
import { drillMetrics } from './metrics.ts';
import { drillInformers, drillKeysOfRun, drillKeysOfSchedule, observeDrill, type DrillInformers } from './observe.ts';

export const drillController: ControllerSetup = (context) => {
  const informers = drillInformers(context.informers);
  drillMetrics(context.metrics.registry, context.metrics.prefix, informers);
  return new Controller({
    name: 'drill',
    kind: 'DRDrill',
    primary: informers.drills,
    related: [
      { informer: asRelated(informers.runs), keysFor: drillKeysOfRun },
      { informer: asRelated(informers.schedules), keysFor: (schedule) => drillKeysOfSchedule(informers, schedule) },
    ],
    reconcile: (request) => reconcileDrill(context, informers, request),
    workers: context.config.workers,
    logger: context.logger,
    metrics: context.metrics,
    events: context.events,
    clock: context.clock,
  });
};

/** One pass over one drill; exported for the controller's unit tests. */
export async function reconcileDrill(
  context: Pick<ControllerContext, 'client' | 'events' | 'clock'>,
  informers: DrillInformers,
  request: Pick<ReconcileRequest, 'namespace' | 'name' | 'log' | 'signal'>,
): Promise<ReconcileResult> {
  const { namespace, name, log, signal } = request;
  const object = informers.drills.get(namespace, name);
  // No finalizer: the runs are owned and garbage-collected with the drill.
  if (!object || object.metadata.deletionTimestamp) return done;
  const decision = decideDrill(observeDrill(object, informers), new Date(context.clock.now()));
  await actOnDrill({ client: context.client, events: context.events, object, decision, signal });
  const created = decision.actions.flatMap((action) => (action.type === 'CreateRun' ? [action.run.metadata.name] : []));
  if (created.length > 0 || decision.pruned.length > 0) log.info({ created, pruned: decision.pruned }, 'drill acted');
  return requeueResult(decision.requeueAfterMs);
}
