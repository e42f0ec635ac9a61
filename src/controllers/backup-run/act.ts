// Carries out decideBackupRun's actions in order, stopping at the first that fails, then writes
// the status once if it changed. Each write is conditional on the version decided from, so a
// stale cache turns into a conflict and a fresh pass instead of a wrong write.
import type { V1Job } from '@kubernetes/client-node';
import type { BackupRunStatus } from '../../api/index.ts';
import type { BackupRunAction, BackupRunDecision } from '../../core/index.ts';
import type { KubeClient } from '../../kube/client.ts';
import type { EventRecorder } from '../../kube/events.ts';
import { JOBS } from '../../kube/resource-type.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { StoredRun } from '../informers.ts';
import { recordEvent } from '../record-event.ts';
import { BACKUP_RUNS } from '../resource-types.ts';
import { mergePatchFor } from '../status-patch.ts';
import { deletePrefix } from '../storage/delete-prefix.ts';
import { withStorageClient } from '../storage/storage-client.ts';

export interface RunActInput {
  client: KubeClient;
  events: EventRecorder;
  object: StoredRun;
  decision: BackupRunDecision;
  signal: AbortSignal;
}

export async function actOnRun({ client, events, object, decision, signal }: RunActInput): Promise<void> {
  const namespace = object.metadata.namespace ?? '';
  const name = object.metadata.name ?? '';
  // The newest version this pass knows of: finalizer patches return it, the status write needs it.
  let current: KubeObject = object;
  for (const action of decision.actions) {
    current = await carryOut(action, { client, events, object: current, namespace, name, signal });
  }
  if (decision.statusChanged) {
    await writeStatus(client, current, object.status, decision.status, signal);
  }
}

interface ActionContext {
  client: KubeClient;
  events: EventRecorder;
  object: KubeObject;
  namespace: string;
  name: string;
  signal: AbortSignal;
}

async function carryOut(action: BackupRunAction, context: ActionContext): Promise<KubeObject> {
  const { client, object, namespace, name, signal } = context;
  switch (action.type) {
    case 'AddFinalizer':
    case 'RemoveFinalizer': {
      const finalizers = object.metadata.finalizers ?? [];
      const next = action.type === 'AddFinalizer' ? [...finalizers, action.finalizer] : finalizers.filter((finalizer) => finalizer !== action.finalizer);
      if (next.length === finalizers.length && next.every((finalizer, index) => finalizer === finalizers[index])) return object;
      return client.mergePatch(BACKUP_RUNS, namespace, name, { metadata: { resourceVersion: object.metadata.resourceVersion, finalizers: next } }, { signal });
    }
    case 'CreateJob':
      // Deterministic name: after a restart or with a stale cache the second create is a harmless 409.
      await client.createIfAbsent(JOBS, action.job as V1Job & KubeObject, { signal });
      return object;
    case 'DeleteJob':
      await client.delete(JOBS, namespace, action.name, { propagationPolicy: 'Foreground', signal });
      return object;
    case 'DeleteArtifacts':
      try {
        await withStorageClient(
          client,
          namespace,
          action.storage,
          (s3) => deletePrefix(s3, { bucket: action.storage.bucket, prefix: action.prefix, endpoint: action.storage.endpoint }, signal),
          signal,
        );
      } catch (error) {
        // The finalizer stays and the pass is retried with backoff; say why where `kubectl
        // describe` shows it (the message names the storage, never its credentials).
        if (!signal.aborted) await recordEvent(context.events, object, { type: 'Warning', reason: ARTIFACTS_DELETE_FAILED, message: errorMessage(error) });
        throw error;
      }
      return object;
    case 'RecordEvent':
      await recordEvent(context.events, object, action.event);
      return object;
  }
}

/** Warning event: the finalizer could not delete the run's artifacts (yet). */
export const ARTIFACTS_DELETE_FAILED = 'ArtifactsDeleteFailed';

function errorMessage(error: unknown): string {
  return `could not delete the artifacts, will retry: ${error instanceof Error ? error.message : String(error)}`;
}

async function writeStatus(client: KubeClient, current: KubeObject, before: BackupRunStatus | undefined, status: BackupRunStatus, signal: AbortSignal): Promise<void> {
  await client.patchStatus(BACKUP_RUNS, current.metadata.namespace, current.metadata.name ?? '', mergePatchFor(before, status), {
    resourceVersion: current.metadata.resourceVersion,
    signal,
  });
}
