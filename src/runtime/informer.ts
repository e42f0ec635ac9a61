// A local cache of one kind, kept current by list + watch, that tells listeners what changed.
// Watches drop (STYLE #9): every failure is retried with capped, jittered backoff, a 410 Gone
// relists, and a periodic resync re-announces every cached object. The loop never gives up
// until stop(). docs/adr/0004-kubernetes-adapter-and-informers.md says why this is not
// client-node's ListWatch.
import type { Logger } from 'pino';
import type { KubeObject, ListWatchSource, WatchEvent } from '../kube/types.ts';
import { backoffDelay, type BackoffPolicy } from './backoff.ts';
import { type Clock, sleep, systemClock, type Timer } from './clock.ts';
import { keyOf, objectKey, type ObjectKey } from './object-key.ts';

export type InformerEventType = 'added' | 'updated' | 'deleted' | 'resync';

export interface InformerEvent<T extends KubeObject> {
  type: InformerEventType;
  object: T;
  /** For `updated`: the cached object it replaced. */
  previous?: T;
}

export type InformerListener<T extends KubeObject> = (event: InformerEvent<T>) => void;

export interface InformerOptions<T extends KubeObject> {
  /** For logs: "batch/v1 jobs". */
  name: string;
  /** One per watched scope: a namespace each, or one for all namespaces. */
  sources: ListWatchSource<T>[];
  /** Every cached object is re-announced this often; 0 turns resync off. */
  resyncPeriodMs?: number;
  backoff?: BackoffPolicy;
  clock?: Clock;
  logger: Logger;
}

export interface InformerStats {
  lists: number;
  watches: number;
  /** List or watch attempts that failed (each followed by a backoff). */
  failures: number;
  /** Relists forced by 410 Gone. */
  expirations: number;
}

/** Restarts start at 1 s and stop growing at 30 s (client-node's ListWatch uses the same bounds). */
export const DEFAULT_WATCH_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 30_000, jitter: 0.2 };

/** A watch that ends sooner than this without delivering anything counts as a failure. */
const HEALTHY_WATCH_MS = 1_000;

interface Scope<T extends KubeObject> {
  source: ListWatchSource<T>;
  /** Where the next watch resumes; '' means list first. */
  resourceVersion: string;
  synced: boolean;
  /** Keys this scope put in the cache, to find deletions missed while disconnected. */
  keys: Set<ObjectKey>;
}

export class Informer<T extends KubeObject> {
  readonly name: string;
  readonly #scopes: Scope<T>[];
  readonly #cache = new Map<ObjectKey, T>();
  readonly #listeners = new Set<InformerListener<T>>();
  readonly #resyncPeriodMs: number;
  readonly #backoff: BackoffPolicy;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #stats: InformerStats = { lists: 0, watches: 0, failures: 0, expirations: 0 };
  #abort = new AbortController();
  #loops: Promise<void>[] = [];
  #resyncTimer: Timer | undefined;
  #syncWaiters: Array<() => void> = [];
  #started = false;

  constructor(options: InformerOptions<T>) {
    if (options.sources.length === 0) throw new Error(`informer ${options.name} has nothing to watch`);
    this.name = options.name;
    this.#scopes = options.sources.map((source) => ({ source, resourceVersion: '', synced: false, keys: new Set() }));
    this.#resyncPeriodMs = options.resyncPeriodMs ?? 0;
    this.#backoff = options.backoff ?? DEFAULT_WATCH_BACKOFF;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger.child({ informer: options.name });
  }

  get hasSynced(): boolean {
    return this.#scopes.every((scope) => scope.synced);
  }

  get stats(): Readonly<InformerStats> {
    return { ...this.#stats };
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  on(listener: InformerListener<T>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.#cache.get(objectKey(namespace, name));
  }

  getByKey(key: ObjectKey): T | undefined {
    return this.#cache.get(key);
  }

  list(namespace?: string): T[] {
    const all = [...this.#cache.values()];
    return namespace === undefined ? all : all.filter((object) => object.metadata.namespace === namespace);
  }

  keys(): ObjectKey[] {
    return [...this.#cache.keys()];
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#loops = this.#scopes.map((scope) => this.#run(scope));
    this.#scheduleResync();
  }

  /** Resolves once every scope has listed, or rejects when `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.hasSynced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(new Error(`informer ${this.name} did not sync`));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    this.#resyncTimer?.cancel();
    await Promise.all(this.#loops);
    this.#loops = [];
  }

  async #run(scope: Scope<T>): Promise<void> {
    const stopped = this.#abort.signal;
    let failures = 0;
    while (!stopped.aborted) {
      try {
        if (!scope.resourceVersion) {
          this.#stats.lists++;
          const list = await scope.source.list(stopped);
          if (stopped.aborted) break;
          this.#replace(scope, list.items);
          scope.resourceVersion = list.resourceVersion;
          failures = 0;
          this.#markSynced(scope);
        }
        this.#stats.watches++;
        const startedAt = this.#clock.now();
        let delivered = 0;
        const end = await scope.source.watch(scope.resourceVersion, (event) => {
          delivered++;
          this.#apply(scope, event);
        }, stopped);
        if (stopped.aborted) break;
        if (end === 'expired') {
          this.#stats.expirations++;
          this.#log.info({ source: scope.source.description }, 'watch expired (410 Gone); relisting');
          scope.resourceVersion = '';
          continue;
        }
        if (delivered > 0 || this.#clock.now() - startedAt >= HEALTHY_WATCH_MS) {
          failures = 0;
          continue;
        }
        // Closed at once with nothing delivered: back off as for an error, or this would spin.
        failures++;
        this.#stats.failures++;
      } catch (error) {
        if (stopped.aborted) break;
        failures++;
        this.#stats.failures++;
        if ((error as { statusCode?: number }).statusCode === 410) scope.resourceVersion = '';
        const retryInMs = backoffDelay(this.#backoff, failures);
        this.#log.warn(
          { err: error, source: scope.source.description, failures, retryInMs, relist: !scope.resourceVersion },
          scope.resourceVersion ? 'watch failed; resuming after backoff' : 'list failed; retrying after backoff',
        );
        await sleep(this.#clock, retryInMs, stopped);
        continue;
      }
      await sleep(this.#clock, backoffDelay(this.#backoff, failures), stopped);
    }
  }

  #apply(scope: Scope<T>, event: WatchEvent<T>): void {
    const version = event.object.metadata?.resourceVersion;
    if (event.type !== 'BOOKMARK') {
      if (event.type === 'DELETED') this.#delete(scope, keyOf(event.object), event.object);
      else this.#upsert(scope, event.object);
    }
    if (version) scope.resourceVersion = version;
  }

  /** After a (re)list: the listed objects are the truth; whatever is missing was deleted meanwhile. */
  #replace(scope: Scope<T>, items: T[]): void {
    const listed = new Set<ObjectKey>();
    for (const item of items) {
      listed.add(keyOf(item));
      this.#upsert(scope, item);
    }
    for (const key of [...scope.keys]) {
      if (listed.has(key)) continue;
      const last = this.#cache.get(key);
      if (last) this.#delete(scope, key, last);
    }
  }

  #upsert(scope: Scope<T>, object: T): void {
    const key = keyOf(object);
    const previous = this.#cache.get(key);
    if (previous && previous.metadata.resourceVersion === object.metadata.resourceVersion) return;
    this.#cache.set(key, object);
    scope.keys.add(key);
    this.#emit(previous ? { type: 'updated', object, previous } : { type: 'added', object });
  }

  #delete(scope: Scope<T>, key: ObjectKey, object: T): void {
    const last = this.#cache.get(key);
    this.#cache.delete(key);
    scope.keys.delete(key);
    this.#emit({ type: 'deleted', object: last ?? object });
  }

  #emit(event: InformerEvent<T>): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#log.error({ err: error, event: event.type }, 'informer listener threw');
      }
    }
  }

  #markSynced(scope: Scope<T>): void {
    if (scope.synced) return;
    scope.synced = true;
    this.#log.debug({ source: scope.source.description, objects: scope.keys.size }, 'synced');
    if (!this.hasSynced) return;
    const waiters = this.#syncWaiters;
    this.#syncWaiters = [];
    for (const wake of waiters) wake();
  }

  #scheduleResync(): void {
    if (this.#resyncPeriodMs <= 0 || this.#abort.signal.aborted) return;
    this.#resyncTimer = this.#clock.setTimer(() => {
      if (this.hasSynced) {
        for (const object of this.#cache.values()) this.#emit({ type: 'resync', object });
      }
      this.#scheduleResync();
    }, this.#resyncPeriodMs);
  }
}
