// Carries out decideDrillRun's decision through the shared Job-set action loop; the one action
// of its own is writing the report next to the backups (through the storage port). The status
// that names the report is written only after the report is stored.
import type { DrillRunAction, DrillRunDecision } from '../../core/drill-run/index.ts';
import type { EventRecorder } from '../../kube/events.ts';
import type { KubeApi } from '../../kube/kube-api.ts';
import type { KubeObject } from '../../kube/types.ts';
import { ConflictError, TemporaryError } from '../../runtime/errors.ts';
import { actOnJobSet, type ActionContext } from '../job-set/act.ts';
import { DR_DRILL_RUNS } from '../resource-types.ts';
import { withStorageClient } from '../storage/storage-client.ts';
import type { StoredDrillRun } from './observe.ts';

type WriteReport = Extract<DrillRunAction, { type: 'WriteReport' }>;

export async function actOnDrillRun(input: { client: KubeApi; events: EventRecorder; object: StoredDrillRun; decision: DrillRunDecision; signal: AbortSignal }): Promise<void> {
  await actOnJobSet<NonNullable<StoredDrillRun['status']>, WriteReport>({ ...input, type: DR_DRILL_RUNS, extra: writeReport });
}

async function writeReport(action: WriteReport, context: ActionContext): Promise<KubeObject> {
  const { client, namespace, name, signal } = context;
  const { storage } = action;
  // A pass decided from a stale cache (the final status already written, not yet seen) would
  // overwrite the stored report with one whose SHA-256 no status names: its status write then
  // conflicts, and status keeps the first report's. The report is written only by a pass that
  // decided from the newest version of the run.
  const fresh = await client.find(DR_DRILL_RUNS, namespace, name, { signal });
  if (fresh?.metadata.resourceVersion !== context.object.metadata.resourceVersion) {
    throw new ConflictError(`DRDrillRun ${namespace}/${name} changed since this pass read it; the report is written by the next pass`);
  }
  try {
    await withStorageClient(
      client,
      namespace,
      storage,
      async (store) => {
        for (const object of action.objects) {
          await store.writeObject({ bucket: storage.bucket, endpoint: storage.endpoint }, object.key, object.body, object.contentType, signal);
        }
      },
      signal,
    );
  } catch (error) {
    // The run stays unfinished until its report is stored; the pass is retried with backoff.
    throw new TemporaryError(`could not write the drill report to s3://${storage.bucket}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return context.object;
}
