// A pass that writes its object (the status, a finalizer) is followed by the pass its own write
// queues: the watch brings the written version back (the "echo") and the controller reconciles
// it. Usually that pass decides from exactly what the writing pass already knew and does
// nothing; at scale it was about 2 of the 6.5 BackupSchedule passes per scheduled run. So right
// after its writes a pass decides once more, purely, over the object as the API server returned
// it and the same related state it read; when that decision has no actions and no status to
// write, the written version is "settled" and its watch event need not queue the key.
//
// Why dropping that one event loses nothing. The echo pass would read (a) the written object,
// (b) the related caches (runs of a schedule; Jobs and pods of a run), (c) the clock. (a) is
// what the re-decision read: the same resourceVersion is the same object. (b) and (c):
//  - A related change the caches show after the pass read them reaches the controller as a
//    related event, which queues the key; a due requeue (a cron instant, a deadline) queues it
//    from the work queue's timer. Every way a key is queued ends in a pass over it. Two cases:
//    * that pass begins before the echo arrives: begin() drops the mark, so the echo is not
//      dropped. This is the case the rule exists for: the cache still held the version the write
//      replaced, so that pass was skipped as superseded (superseded-versions.ts) and returned
//      without deciding or asking for a requeue; the echo's pass is the one that reads the
//      change (or reschedules the requeue);
//    * it begins after the echo arrived: the informer stores an object before it announces it,
//      so that pass reads the written version, and the change with it, and decides in full.
//  - The key queued while the writing pass ran (after it began reading) leaves no mark: the
//    pass may have read the caches before the change. queued() also drops a mark already made,
//    so any other enqueue reason clears it, whichever of the two cases follows.
//  - Related updates a watch's `changed` filter drops do not queue the key and do not clear the
//    mark: the filter's contract is that the decision does not read what they change, the same
//    contract every other pass already relies on.
//  - Time: the re-decision asks for a requeue at the next instant its outcome changes, and the
//    writing pass asks for the earliest of its own and that one; the due requeue queues the key
//    as above. Until then, time changes nothing in the decision.
//  - What a pass reads through the API instead of a cache is not covered by any event: a
//    BackupRun reads its Secrets before its first Jobs. The caller does not settle a version
//    whose pass would read them (its waiting is retried by the requeue the decision asks for).
// Only the first primary event after the mark is compared with it, and only an update to exactly
// the settled version is dropped: any other event (an intermediate version of a finalizer patch,
// someone else's write, a deletion, a resync) clears the mark and queues the key as before.
import type { InformerEvent } from '../runtime/informer.ts';
import type { KubeObject } from '../kube/types.ts';
import type { EchoFilter } from '../runtime/controller.ts';
import type { ObjectKey } from '../runtime/object-key.ts';

/** One pass over a key, from begin() to settle(). */
export interface SettlingPass {
  readonly key: ObjectKey;
}

export class SettledVersions implements EchoFilter {
  /** The version whose watch event need not queue its key. */
  readonly #settled = new Map<ObjectKey, string>();
  /** Passes that began and whose key nothing has queued since. */
  readonly #clean = new Map<ObjectKey, SettlingPass>();

  /** A pass over `key` begins (before it reads anything): the key's mark, if any, is spent. */
  begin(key: ObjectKey): SettlingPass {
    this.#settled.delete(key);
    const pass = { key };
    this.#clean.set(key, pass);
    return pass;
  }

  /**
   * The pass wrote `version` and a pass over it would do nothing. Kept only if nothing queued the
   * key since the pass began.
   */
  settle(pass: SettlingPass, version: string | undefined): void {
    if (this.#clean.get(pass.key) !== pass) return;
    this.#clean.delete(pass.key);
    if (version !== undefined) this.#settled.set(pass.key, version);
  }

  isSettledEcho(key: ObjectKey, event: InformerEvent<KubeObject>): boolean {
    const version = this.#settled.get(key);
    if (version === undefined) return false;
    this.#settled.delete(key);
    return event.type === 'updated' && event.object.metadata.resourceVersion === version;
  }

  queued(key: ObjectKey): void {
    this.#settled.delete(key);
    this.#clean.delete(key);
  }

  forget(key: ObjectKey): void {
    this.queued(key);
  }

  /** Keys with a settled version (for tests). */
  get size(): number {
    return this.#settled.size;
  }
}

/** The earlier of two requeue delays (ms), either of which may be absent. */
export function earlierRequeue(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.min(a, b);
}
