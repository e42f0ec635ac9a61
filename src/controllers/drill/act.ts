// Carries out decideDrill's actions with the Job-set owner's action loop (in order, stopping at
// the first that fails, events after the writes they report: action-batches.ts; one conditional
// status write, only if it changed); creating and deleting runs are the drill's own actions, so
// they keep their order.
import type { DrillAction, DrillDecision } from '../../core/drill/index.ts';
import type { EventRecorder } from '../../kube/events.ts';
import type { KubeApi } from '../../kube/kube-api.ts';
import type { KubeObject } from '../../kube/types.ts';
import { actOnJobSet, type ActionContext } from '../job-set/act.ts';
import { DR_DRILL_RUNS, DR_DRILLS } from '../resource-types.ts';
import type { StoredDrill, StoredDrillRun } from './observe.ts';

export interface DrillActInput {
  client: KubeApi;
  events: EventRecorder;
  object: StoredDrill;
  decision: DrillDecision;
  signal: AbortSignal;
}

type RunAction = Exclude<DrillAction, { type: 'RecordEvent' }>;

export async function actOnDrill({ client, events, object, decision, signal }: DrillActInput): Promise<void> {
  await actOnJobSet<StoredDrill['status'], RunAction>({ client, events, type: DR_DRILLS, object, decision, signal, extra: carryOut });
}

async function carryOut(action: RunAction, { client, object, namespace, signal }: ActionContext): Promise<KubeObject> {
  switch (action.type) {
    case 'CreateRun':
      // Deterministic name: a second create (a restart, a stale cache) is a harmless 409.
      await client.createIfAbsent(DR_DRILL_RUNS, action.run as StoredDrillRun, { signal });
      return object;
    case 'DeleteRun':
      // A finished run; one already gone is fine. Its cleanup finalizer, if any, still runs.
      await client.delete(DR_DRILL_RUNS, namespace, action.name, { signal });
      return object;
  }
}
