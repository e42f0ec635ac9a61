// One PodWorker per pod UID. Events and relists are keyed by UID and only ever update the
// worker's view of its pod, so a repeated event or a relist never starts a pod twice; a UID
// whose pod was removed is remembered so a stale event cannot resurrect it.
import type { V1Pod } from '@kubernetes/client-node';
import { type ContainerLog, PodWorker, type PodWorkerDeps } from './pod-worker.ts';

const rememberedRemovals = 10_000;

export class PodWorkers {
  readonly #deps: PodWorkerDeps;
  readonly #workers = new Map<string, PodWorker>();
  readonly #removed = new Set<string>();
  #stopped = false;

  constructor(deps: PodWorkerDeps) {
    this.#deps = deps;
  }

  upsert(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid || this.#stopped || this.#removed.has(uid)) return;
    const existing = this.#workers.get(uid);
    if (existing) existing.update(pod);
    else this.#workers.set(uid, new PodWorker(pod, this.#deps));
  }

  remove(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (uid) void this.#removeUid(uid);
  }

  /** A full list of the node's pods: update them all, remove workers whose pod is gone. */
  sync(pods: readonly V1Pod[]): void {
    const present = new Set(pods.map((p) => p.metadata?.uid));
    for (const uid of this.#workers.keys()) {
      if (!present.has(uid)) void this.#removeUid(uid);
    }
    for (const pod of pods) this.upsert(pod);
  }

  async shutdown(): Promise<void> {
    this.#stopped = true;
    await Promise.all([...this.#workers.values()].map((w) => w.shutdown()));
    this.#workers.clear();
  }

  /** The newest pod of that name that is still here, for `kubectl logs`. */
  containerLog(namespace: string, name: string, container: string, previous: boolean): ContainerLog | undefined {
    const matching = [...this.#workers.values()].filter((w) => w.namespace === namespace && w.name === name);
    return matching.at(-1)?.containerLog(container, previous);
  }

  async #removeUid(uid: string): Promise<void> {
    const worker = this.#workers.get(uid);
    this.#workers.delete(uid);
    this.#removed.add(uid);
    if (this.#removed.size > rememberedRemovals) {
      const oldest = this.#removed.values().next().value;
      if (oldest !== undefined) this.#removed.delete(oldest);
    }
    await worker?.remove();
  }
}
