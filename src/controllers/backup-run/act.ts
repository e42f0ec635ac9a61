// Carries out decideBackupRun's decision through the shared Job-set action loop
// (src/controllers/job-set/act.ts); the one action of its own is deleting the run's artifacts.
import type { BackupRunAction, BackupRunDecision } from '../../core/index.ts';
import type { EventRecorder } from '../../kube/events.ts';
import type { KubeApi } from '../../kube/kube-api.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { StoredRun } from '../informers.ts';
import { actOnJobSet, type ActionContext } from '../job-set/act.ts';
import { recordEvent } from '../record-event.ts';
import { BACKUP_RUNS } from '../resource-types.ts';
import { deletePrefix } from '../storage/delete-prefix.ts';
import { withStorageClient } from '../storage/storage-client.ts';

export interface RunActInput {
  client: KubeApi;
  events: EventRecorder;
  object: StoredRun;
  decision: BackupRunDecision;
  signal: AbortSignal;
}

type DeleteArtifacts = Extract<BackupRunAction, { type: 'DeleteArtifacts' }>;

/** The run's versions this pass went through (actOnJobSet). */
export async function actOnRun({ client, events, object, decision, signal }: RunActInput): Promise<(string | undefined)[]> {
  return actOnJobSet<NonNullable<StoredRun['status']>, DeleteArtifacts>({ client, events, type: BACKUP_RUNS, object, decision, signal, extra: deleteArtifacts });
}

async function deleteArtifacts(action: DeleteArtifacts, context: ActionContext): Promise<KubeObject> {
  const { client, namespace, object, signal } = context;
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
}

/** Warning event: the finalizer could not delete the run's artifacts (yet). */
export const ARTIFACTS_DELETE_FAILED = 'ArtifactsDeleteFailed';

function errorMessage(error: unknown): string {
  return `could not delete the artifacts, will retry: ${error instanceof Error ? error.message : String(error)}`;
}
