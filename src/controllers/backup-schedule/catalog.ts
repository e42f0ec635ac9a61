// Catalog sync I/O: a schedule that has never had a status looks for its runs' manifests in the
// backup bucket and recreates the runs that are missing, with their status (decideCatalogSync).
// Storage being unreachable fails the reconcile (temporary), so the sync is retried, not skipped.
import type { Logger } from 'pino';
import { Annotations, catalogPrefix, decideCatalogSync, type CatalogAction, type ObservedSchedule } from '../../core/index.ts';
import type { EventRecorder } from '../../kube/events.ts';
import type { KubeApi } from '../../kube/kube-api.ts';
import { recordEvent } from '../record-event.ts';
import { BACKUP_RUNS } from '../resource-types.ts';
import type { StoredRun, StoredSchedule } from '../informers.ts';
import { listRunManifests } from '../storage/run-manifests.ts';
import { withStorageClient } from '../storage/storage-client.ts';

export interface CatalogSyncInput {
  client: KubeApi;
  events: EventRecorder;
  object: StoredSchedule;
  observed: ObservedSchedule;
  runsInNamespace: readonly StoredRun[];
  now: Date;
  log: Logger;
  signal: AbortSignal;
}

export async function syncCatalog(input: CatalogSyncInput): Promise<void> {
  const { client, observed, signal, log } = input;
  const schedule = { name: observed.name, namespace: observed.namespace, uid: observed.uid, spec: observed.spec };
  const prefix = catalogPrefix(schedule);
  const storage = observed.spec.storage;
  const listing = await withStorageClient(
    client,
    observed.namespace,
    storage,
    (s3) => listRunManifests(s3, { bucket: storage.bucket, prefix, endpoint: storage.endpoint }, signal),
    signal,
  );
  for (const invalid of listing.invalid) {
    log.warn({ key: invalid.key, reason: invalid.reason }, 'skipping a run manifest that does not parse');
  }
  const actions = decideCatalogSync(
    {
      schedule,
      manifests: listing.entries,
      runs: input.runsInNamespace.map((run) => ({
        name: run.metadata.name ?? '',
        imported: run.metadata.annotations?.[Annotations.importedFrom] !== undefined,
        phase: run.status?.phase,
      })),
    },
    input.now,
  );
  for (const action of actions) await carryOut(input, action);
  if (listing.entries.length > 0) log.info({ manifests: listing.entries.length, prefix }, 'catalog sync looked at the bucket');
}

async function carryOut(input: CatalogSyncInput, action: CatalogAction): Promise<void> {
  const { client, signal } = input;
  switch (action.type) {
    case 'CreateBackupRun': {
      const name = action.run.metadata.name ?? '';
      const outcome = await client.createIfAbsent(BACKUP_RUNS, action.run as StoredRun, { signal });
      // A run of that name already exists (made since the cache was read): it is not ours to overwrite.
      if (outcome.created) await client.patchStatus(BACKUP_RUNS, input.observed.namespace, name, action.status, { signal });
      return;
    }
    case 'WriteBackupRunStatus':
      await client.patchStatus(BACKUP_RUNS, input.observed.namespace, action.name, action.status, { signal });
      return;
    case 'RecordEvent':
      await recordEvent(input.events, input.object, action.event);
      return;
  }
}
