// The finalizer's I/O: every object under a run's folder goes (src/s3/run-store.ts). A failure
// is temporary: the finalizer stays and the run is retried with backoff.
import { TemporaryError } from '../../runtime/errors.ts';
import type { RunStore, StorePlace } from '../../s3/run-store.ts';

export async function deletePrefix(store: RunStore, where: StorePlace & { prefix: string }, signal?: AbortSignal): Promise<number> {
  try {
    return await store.deletePrefix(where, signal);
  } catch (error) {
    throw new TemporaryError(error instanceof Error ? error.message : String(error), { cause: error });
  }
}
