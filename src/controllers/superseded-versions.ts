// After a reconcile writes its object (a finalizer, the status), the informer's cache still holds
// the version it read until the watch brings the write back, a moment later. Any pass over the
// object in between (a Job or pod event of its own, a run of its schedule appearing) decides
// from that old version: it re-creates what exists (a 409), re-sends events, and its status
// write, conditional on the old version, fails with a conflict and is retried after a backoff.
// At scale, with hundreds of objects written at once, those passes are a large share of the
// work. So the versions a write replaced are remembered per object, and a pass that finds one of
// them in the cache is skipped: the write's own watch event queues the object again.
import type { ObjectKey } from '../runtime/object-key.ts';

export class SupersededVersions {
  readonly #versions = new Map<ObjectKey, Set<string>>();

  /**
   * The object was written: every version in `chain` but the last (what the pass read, and any
   * it wrote on the way) is behind the last one, what the API server now has.
   */
  wrote(key: ObjectKey, chain: readonly (string | undefined)[]): void {
    const known = chain.filter((version): version is string => version !== undefined);
    const newest = known.at(-1);
    const replaced = known.filter((version) => version !== newest);
    if (newest === undefined || replaced.length === 0) return;
    const versions = this.#versions.get(key) ?? new Set<string>();
    for (const version of replaced) versions.add(version);
    versions.delete(newest);
    this.#versions.set(key, versions);
  }

  /**
   * Whether the cache's version of the object is one a write of ours has replaced. Once the
   * cache shows any other version it is current again and the memory of the key is dropped.
   */
  isBehind(key: ObjectKey, cached: string | undefined): boolean {
    const versions = this.#versions.get(key);
    if (!versions) return false;
    if (cached !== undefined && versions.has(cached)) return true;
    this.#versions.delete(key);
    return false;
  }

  forget(key: ObjectKey): void {
    this.#versions.delete(key);
  }

  /** Keys remembered (for tests). */
  get size(): number {
    return this.#versions.size;
  }
}
