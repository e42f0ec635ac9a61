// Carries out a Job-set owner's decision: the actions in order (Job creates and deletes side by
// side, then their events: action-batches.ts), stopping at the first batch that fails, then the
// status, written once and only if it changed. Each write is conditional on
// the version decided from, so a stale cache turns into a conflict and a fresh pass instead of
// a wrong write. A kind with actions of its own (a BackupRun deleting its artifacts) handles
// them in `extra`.
import type { V1Job } from '@kubernetes/client-node';
import type { Decision, JobSetAction } from '../../core/job-set/index.ts';
import type { EventRecorder } from '../../kube/events.ts';
import type { KubeApi } from '../../kube/kube-api.ts';
import { JOBS, type ResourceType } from '../../kube/resource-type.ts';
import type { KubeObject } from '../../kube/types.ts';
import { type ActionOrder, carryOutInBatches } from '../action-batches.ts';
import { recordEvent } from '../record-event.ts';
import { mergePatchFor } from '../status-patch.ts';

export interface ActionContext {
  client: KubeApi;
  events: EventRecorder;
  /** The newest version of the owner this pass knows of. */
  object: KubeObject;
  namespace: string;
  name: string;
  signal: AbortSignal;
}

export interface ActInput<Status, Extra extends { type: string }> {
  client: KubeApi;
  events: EventRecorder;
  type: ResourceType;
  object: KubeObject & { status?: Status | undefined };
  decision: Decision<Status, JobSetAction | Extra>;
  signal: AbortSignal;
  /** Carries out the kind's own actions; returns the newest version of the owner. */
  extra?: (action: Extra, context: ActionContext) => Promise<KubeObject>;
}

/**
 * Returns the owner's versions this pass went through: the one it decided from, then each one a
 * write of its own made (finalizers, status), so the caller knows which cached versions are behind.
 */
export async function actOnJobSet<Status, Extra extends { type: string } = never>(input: ActInput<Status, Extra>): Promise<(string | undefined)[]> {
  const { client, events, type, object, decision, signal, extra } = input;
  const namespace = object.metadata.namespace ?? '';
  const name = object.metadata.name ?? '';
  // Finalizer patches return the newest version; the status write needs it.
  let current: KubeObject = object;
  const versions = [object.metadata.resourceVersion];
  await carryOutInBatches(decision.actions, orderOf, async (action) => {
    const context: ActionContext = { client, events, object: current, namespace, name, signal };
    const next = isCommon(action) ? await carryOut(type, action, context) : await extra!(action as Extra, context);
    // Only ordered actions return a new version, and nothing runs beside them.
    if (next.metadata.resourceVersion !== current.metadata.resourceVersion) {
      current = next;
      versions.push(current.metadata.resourceVersion);
    }
  });
  if (decision.statusChanged) {
    const written = await client.patchStatus<KubeObject>(type, namespace, current.metadata.name ?? name, mergePatchFor(object.status, decision.status), {
      resourceVersion: current.metadata.resourceVersion,
      signal,
    });
    versions.push(written?.metadata?.resourceVersion);
  }
  return versions;
}

const COMMON = new Set(['AddFinalizer', 'RemoveFinalizer', 'CreateJob', 'DeleteJob', 'RecordEvent']);

/** Finalizer patches return the version the next write needs; a kind's own actions keep their order. */
function orderOf(action: { type: string }): ActionOrder {
  switch (action.type) {
    case 'CreateJob':
    case 'DeleteJob':
      return 'write';
    case 'RecordEvent':
      return 'event';
    default:
      return 'ordered';
  }
}

function isCommon(action: { type: string }): action is JobSetAction {
  return COMMON.has(action.type);
}

async function carryOut(type: ResourceType, action: JobSetAction, context: ActionContext): Promise<KubeObject> {
  const { client, object, namespace, name, signal } = context;
  switch (action.type) {
    case 'AddFinalizer':
    case 'RemoveFinalizer': {
      const finalizers = object.metadata.finalizers ?? [];
      const next = action.type === 'AddFinalizer' ? [...finalizers, action.finalizer] : finalizers.filter((finalizer) => finalizer !== action.finalizer);
      if (next.length === finalizers.length && next.every((finalizer, index) => finalizer === finalizers[index])) return object;
      return client.mergePatch(type, namespace, name, { metadata: { resourceVersion: object.metadata.resourceVersion, finalizers: next } }, { signal });
    }
    case 'CreateJob':
      // Deterministic name: after a restart or with a stale cache the second create is a harmless 409.
      await client.createIfAbsent(JOBS, action.job as V1Job & KubeObject, { signal });
      return object;
    case 'DeleteJob':
      await client.delete(JOBS, namespace, action.name, { propagationPolicy: 'Foreground', signal });
      return object;
    case 'RecordEvent':
      await recordEvent(context.events, object, action.event);
      return object;
  }
}
