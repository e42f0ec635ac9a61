// The catalog: the run manifests under a schedule's folder (<prefix>/<ns>/<schedule>/<run>/manifest.json),
// each with the read-back verdict stored next to it (verification.json) where there is one, read
// through src/s3/run-store.ts. Storage being unreachable is temporary: the sync is retried,
// not skipped.
import { TemporaryError } from '../../runtime/errors.ts';
import type { RunManifestListing, RunStore, StorePlace } from '../../s3/run-store.ts';

/** Every run manifest under `prefix` (which ends in "/") with its verdict; those that do not parse are listed as invalid. */
export async function listRunManifests(store: RunStore, where: StorePlace & { prefix: string }, signal?: AbortSignal): Promise<RunManifestListing> {
  try {
    return await store.listRunManifests(where, signal);
  } catch (error) {
    throw new TemporaryError(error instanceof Error ? error.message : String(error), { cause: error });
  }
}
