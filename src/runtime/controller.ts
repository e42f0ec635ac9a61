// Informers -> keyed queue -> reconcile(key). The reconciler re-reads the state of its key and
// says when to look again; a thrown error's kind decides the retry (STYLE #1, #7).
import type { Logger } from 'pino';
import type { EventRecorder } from '../kube/events.ts';
import type { KubeObject } from '../kube/types.ts';
import type { BackoffPolicy } from './backoff.ts';
import { type Clock, systemClock } from './clock.ts';
import { errorKindOf } from './errors.ts';
import type { Informer, InformerEvent } from './informer.ts';
import { reconcileLogger } from './logger.ts';
import type { ReconcileOutcome, RuntimeMetrics } from './metrics.ts';
import { keyOf, type ObjectKey, splitKey } from './object-key.ts';
import { type AddOptions, DEFAULT_BACKOFF, type ShutdownOutcome, WorkQueue } from './work-queue.ts';

export interface ReconcileRequest {
  key: ObjectKey;
  namespace: string | undefined;
  name: string;
  /** Carries controller, kind, namespace and name. */
  log: Logger;
  /** Aborted when this replica must stop acting (shutdown, lost leadership). */
  signal: AbortSignal;
  /** Consecutive failed reconciles of this key before this one. */
  failures: number;
}

export interface ReconcileResult {
  /** Reconcile this key again after this long, even if nothing changes (e.g. the next cron time). */
  requeueAfterMs?: number;
}

export const done: ReconcileResult = Object.freeze({});

export function requeueAfter(ms: number): ReconcileResult {
  return { requeueAfterMs: Math.max(0, Math.ceil(ms)) };
}

export type Reconciler = (request: ReconcileRequest) => Promise<ReconcileResult>;

/** Another informer whose changes concern primary objects: e.g. Jobs, mapped to their owner's key. */
export interface RelatedWatch {
  informer: Informer<KubeObject>;
  /** The primary keys an object of this informer concerns (ownerKeys / labelKeys help). */
  keysFor: (object: KubeObject) => ObjectKey[];
  /**
   * Whether an update changes anything the primary's reconcile reads; by default every update
   * does. Additions, deletions and resyncs always count.
   */
  changed?: (previous: KubeObject, object: KubeObject) => boolean;
}

export interface ControllerOptions<T extends KubeObject> {
  /** Short and stable, for logs: "backup-schedule". */
  name: string;
  /** The primary kind, for logs and metric labels: "BackupSchedule". */
  kind: string;
  primary: Informer<T>;
  related?: RelatedWatch[];
  reconcile: Reconciler;
  workers?: number;
  /** Delays after temporary errors. */
  backoff?: BackoffPolicy;
  /** Delays after conflicts: short, since a fresh read usually resolves them. */
  conflictBackoff?: BackoffPolicy;
  logger: Logger;
  metrics: RuntimeMetrics;
  /** When given, a permanent error also becomes a Warning event on the object. */
  events?: EventRecorder;
  clock?: Clock;
}

export const DEFAULT_CONFLICT_BACKOFF: BackoffPolicy = { initialMs: 100, maxMs: 10_000 };

/**
 * Runs one kind's reconciler. Informer events only count while the controller is started (this
 * replica leads); start() then enqueues every cached object, so nothing missed meanwhile is lost.
 */
export class Controller<T extends KubeObject> {
  readonly name: string;
  readonly kind: string;
  readonly #options: ControllerOptions<T>;
  readonly #queue: WorkQueue;
  readonly #clock: Clock;
  readonly #log: Logger;
  #started = false;

  constructor(options: ControllerOptions<T>) {
    this.name = options.name;
    this.kind = options.kind;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger.child({ controller: options.name });
    this.#queue = new WorkQueue({
      workers: options.workers,
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      clock: this.#clock,
      onHandlerError: (key, error) => this.#log.error({ err: error, key }, 'reconcile handler threw'),
    });
    options.metrics.trackQueue(options.kind, () => this.#queue.depth);

    // A new object is urgent: its first pass is what the user who created it waits for.
    options.primary.on((event: InformerEvent<T>) => this.#enqueue([keyOf(event.object)], { urgent: event.type === 'added' }));
    for (const related of options.related ?? []) {
      related.informer.on((event) => {
        if (event.type === 'updated' && event.previous && related.changed && !related.changed(event.previous, event.object)) return;
        const keys = related.keysFor(event.object);
        // A changed owner label concerns the old owner too. Each key once: added twice, a key
        // whose first add went straight to a worker would be marked to run a second time.
        if (event.previous) keys.push(...related.keysFor(event.previous));
        this.#enqueue([...new Set(keys)]);
      });
    }
  }

  get started(): boolean {
    return this.#started;
  }

  /** Keys waiting for a worker. */
  get queueDepth(): number {
    return this.#queue.depth;
  }

  /** Starts reconciling; call once the informers have synced. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#queue.start((key, signal) => this.#reconcile(key, signal));
    this.#enqueue(this.#options.primary.keys());
    this.#log.info({ objects: this.#options.primary.keys().length }, 'controller started');
  }

  /** Queues a key by hand (rarely needed: prefer requeueAfter). */
  enqueue(key: ObjectKey): void {
    this.#enqueue([key]);
  }

  /** Stops taking work and waits up to `timeoutMs` for reconciles in flight (0: abort them now). */
  async stop(timeoutMs: number): Promise<ShutdownOutcome> {
    const outcome = await this.#queue.shutdown(timeoutMs);
    if (outcome.abandoned.length > 0) {
      this.#log.warn({ abandoned: outcome.abandoned }, 'stopped with reconciles in flight; they will run again at the next start');
    }
    return outcome;
  }

  #enqueue(keys: ObjectKey[], options: AddOptions = {}): void {
    if (!this.#started) return;
    for (const key of keys) this.#queue.add(key, options);
  }

  async #reconcile(key: ObjectKey, signal: AbortSignal): Promise<void> {
    const { namespace, name } = splitKey(key);
    const log = reconcileLogger(this.#options.logger, { controller: this.name, kind: this.kind, namespace, name });
    const started = this.#clock.now();
    const failures = this.#queue.failures(key);
    let outcome: ReconcileOutcome;
    try {
      const result = await this.#options.reconcile({ key, namespace, name, log, signal, failures });
      this.#queue.forget(key);
      if (result.requeueAfterMs !== undefined) {
        // The reconciler asked for this instant (a cron time, a deadline): once due, it is urgent.
        this.#queue.addAfter(key, result.requeueAfterMs, { urgent: true });
        outcome = 'requeue';
      } else {
        outcome = 'success';
      }
      log.debug({ requeueAfterMs: result.requeueAfterMs }, 'reconciled');
    } catch (error) {
      outcome = errorKindOf(error);
      this.#handleFailure(key, outcome, error, log);
    }
    this.#options.metrics.observeReconcile(this.kind, outcome, (this.#clock.now() - started) / 1000);
  }

  #handleFailure(key: ObjectKey, kind: ReconcileOutcome, error: unknown, log: Logger): void {
    switch (kind) {
      case 'temporary': {
        const retryInMs = this.#queue.addRateLimited(key, this.#options.backoff ?? DEFAULT_BACKOFF);
        log.warn({ err: error, retryInMs, failures: this.#queue.failures(key) }, 'reconcile failed; will retry');
        return;
      }
      case 'conflict': {
        const retryInMs = this.#queue.addRateLimited(key, this.#options.conflictBackoff ?? DEFAULT_CONFLICT_BACKOFF);
        log.debug({ err: error, retryInMs }, 'conflict; will retry with a fresh read');
        return;
      }
      case 'not-found': {
        if (!this.#options.primary.getByKey(key)) {
          // The object itself went away while being reconciled: nothing left to do.
          this.#queue.forget(key);
          log.debug({ err: error }, 'object gone during reconcile');
          return;
        }
        // Something it refers to is missing (and the reconciler did not turn that into a
        // condition): it may yet appear, so retry like a temporary error.
        const retryInMs = this.#queue.addRateLimited(key, this.#options.backoff ?? DEFAULT_BACKOFF);
        log.warn({ err: error, retryInMs }, 'reconcile failed: something it needs was not found; will retry');
        return;
      }
      default: {
        this.#queue.forget(key);
        log.error({ err: error }, 'reconcile failed permanently; not retried until the object changes');
        const object = this.#options.primary.getByKey(key);
        if (object && this.#options.events) {
          void this.#options.events.record(object, {
            type: 'Warning',
            reason: 'ReconcileFailed',
            note: error instanceof Error ? error.message : String(error),
          });
        }
      }
    }
  }
}
