// A keyed work queue with client-go's guarantees: a key is handled by at most one worker at a
// time, a key added while it waits is not added twice, and a key added while it is being handled
// runs once more afterwards (so no change is missed). Delays and backoff go through the Clock.
//
// Two lines instead of client-go's one: a key added as urgent (its requested time has come, or
// it is new) waits only behind other urgent keys, so a cron instant or a new run's first pass
// does not queue behind hundreds of status-change passes. Every URGENT_BURST urgent keys, one
// waiting ordinary key goes first, so a steady stream of urgent work cannot starve the rest.
import { backoffDelay, type BackoffPolicy } from './backoff.ts';
import { type Clock, systemClock, type Timer } from './clock.ts';

export type WorkHandler = (key: string, signal: AbortSignal) => Promise<void>;

export interface AddOptions {
  /** Ahead of ordinary keys: time-critical work (a due requeue, a new object). */
  urgent?: boolean;
}

/** Urgent keys handed out in a row before one waiting ordinary key gets its turn. */
export const URGENT_BURST = 4;

export interface WorkQueueOptions {
  /** How many keys are handled at once (distinct keys only). */
  workers?: number;
  /** Delays of addRateLimited: initialMs after the first failure, growing to maxMs. */
  backoff?: BackoffPolicy;
  clock?: Clock;
  /** Called when a handler throws; the key is then retried with backoff. */
  onHandlerError?: (key: string, error: unknown) => void;
}

export interface ShutdownOutcome {
  /** Every in-flight handler finished within the timeout. */
  drained: boolean;
  /** Keys still being handled at the timeout; their signals were aborted. */
  abandoned: string[];
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 5 * 60_000 };

type State = 'new' | 'running' | 'stopping' | 'stopped';

/** The longest delay Node's timers honour. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export class WorkQueue {
  readonly #clock: Clock;
  readonly #workers: number;
  readonly #backoff: BackoffPolicy;
  readonly #onHandlerError: ((key: string, error: unknown) => void) | undefined;
  /** Keys waiting for a worker, oldest first. */
  #ready: string[] = [];
  /** Urgent keys waiting for a worker, oldest first; a key is in at most one of the two lines. */
  #urgent: string[] = [];
  /** Keys that need a run: waiting in a line, or due again once their current run ends. */
  readonly #dirty = new Set<string>();
  /** Of the dirty keys, those that were added as urgent. */
  readonly #dirtyUrgent = new Set<string>();
  /** Urgent keys handed out since an ordinary one was. */
  #urgentInARow = 0;
  /** Keys being handled, with the signal that asks their handler to stop. */
  readonly #processing = new Map<string, AbortController>();
  readonly #delayed = new Map<string, { dueAt: number; timer: Timer; urgent: boolean }>();
  readonly #failures = new Map<string, number>();
  #handler: WorkHandler | undefined;
  #state: State = 'new';
  #idleWaiters: Array<() => void> = [];

  constructor(options: WorkQueueOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#workers = Math.max(1, options.workers ?? 1);
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#onHandlerError = options.onHandlerError;
  }

  /** Keys waiting for a worker (not counting delayed or in-flight ones). */
  get depth(): number {
    return this.#ready.length + this.#urgent.length;
  }

  get inFlight(): number {
    return this.#processing.size;
  }

  /** Keys with a pending addAfter timer. */
  get delayed(): number {
    return this.#delayed.size;
  }

  get isShuttingDown(): boolean {
    return this.#state === 'stopping' || this.#state === 'stopped';
  }

  /** Starts handing keys to `handler`, up to `workers` at once. Keys added before start wait. */
  start(handler: WorkHandler): void {
    if (this.#state !== 'new') throw new Error('a work queue starts once');
    this.#handler = handler;
    this.#state = 'running';
    this.#pump();
  }

  add(key: string, options: AddOptions = {}): void {
    if (this.isShuttingDown) return;
    if (this.#dirty.has(key)) {
      // Already waiting: an urgent add moves it to the urgent line, keeping its single entry.
      if (options.urgent && !this.#dirtyUrgent.has(key)) {
        this.#dirtyUrgent.add(key);
        const index = this.#ready.indexOf(key);
        if (index >= 0) {
          this.#ready.splice(index, 1);
          this.#urgent.push(key);
          this.#pump();
        }
      }
      return;
    }
    this.#dirty.add(key);
    if (options.urgent) this.#dirtyUrgent.add(key);
    if (!this.#processing.has(key)) this.#lineOf(key).push(key);
    this.#pump();
  }

  /** Adds `key` after `delayMs`. Of several pending delays for a key, the earliest wins. */
  addAfter(key: string, requestedDelayMs: number, options: AddOptions = {}): void {
    if (this.isShuttingDown) return;
    if (requestedDelayMs <= 0) return this.add(key, options);
    // Timers longer than 2^31-1 ms fire at once (a yearly cron would spin); waking early is
    // harmless because a reconcile only re-reads state and asks for the rest of the wait.
    const delayMs = Math.min(requestedDelayMs, MAX_TIMER_DELAY_MS);
    const dueAt = this.#clock.now() + delayMs;
    const urgent = options.urgent === true;
    const pending = this.#delayed.get(key);
    if (pending && pending.dueAt <= dueAt) {
      pending.urgent ||= urgent;
      return;
    }
    pending?.timer.cancel();
    const entry = { dueAt, urgent: urgent || pending?.urgent === true, timer: undefined as unknown as Timer };
    entry.timer = this.#clock.setTimer(() => {
      this.#delayed.delete(key);
      this.add(key, { urgent: entry.urgent });
    }, delayMs);
    this.#delayed.set(key, entry);
  }

  /**
   * Records a failure of `key` and adds it after its backoff delay, which doubles with each
   * consecutive failure up to the cap. `policy` overrides the queue's (e.g. a shorter one for
   * conflicts). Returns the delay.
   */
  addRateLimited(key: string, policy: BackoffPolicy = this.#backoff): number {
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    const delayMs = backoffDelay(policy, failures);
    this.addAfter(key, delayMs);
    return delayMs;
  }

  /** Clears the failure count of `key`: its next failure starts again from the initial delay. */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /**
   * Stops taking work (queued and delayed keys are dropped: a restarted operator relists them),
   * waits up to `timeoutMs` for in-flight handlers, then aborts the signals of those still
   * running and reports them.
   */
  async shutdown(timeoutMs: number): Promise<ShutdownOutcome> {
    if (this.#state === 'stopped') return { drained: true, abandoned: [] };
    this.#state = 'stopping';
    for (const { timer } of this.#delayed.values()) timer.cancel();
    this.#delayed.clear();
    this.#ready = [];
    this.#urgent = [];
    this.#dirty.clear();
    this.#dirtyUrgent.clear();

    let drained = this.#processing.size === 0;
    if (!drained && timeoutMs > 0) {
      drained = await new Promise<boolean>((resolve) => {
        const timer = this.#clock.setTimer(() => resolve(false), timeoutMs);
        this.#idleWaiters.push(() => {
          timer.cancel();
          resolve(true);
        });
      });
    }
    const abandoned = [...this.#processing.keys()];
    for (const controller of this.#processing.values()) controller.abort(new Error('the work queue is shutting down'));
    this.#state = 'stopped';
    return { drained: abandoned.length === 0, abandoned };
  }

  #pump(): void {
    const handler = this.#handler;
    if (this.#state !== 'running' || !handler) return;
    while (this.#processing.size < this.#workers && this.depth > 0) {
      const key = this.#next();
      this.#dirty.delete(key);
      this.#dirtyUrgent.delete(key);
      const controller = new AbortController();
      this.#processing.set(key, controller);
      void this.#run(handler, key, controller);
    }
  }

  async #run(handler: WorkHandler, key: string, controller: AbortController): Promise<void> {
    try {
      await handler(key, controller.signal);
    } catch (error) {
      this.#onHandlerError?.(key, error);
      this.addRateLimited(key);
    } finally {
      this.#processing.delete(key);
      // Added while it ran: it goes to the back of its line, not straight back to a worker.
      if (this.#dirty.has(key)) this.#lineOf(key).push(key);
      if (this.#processing.size === 0) {
        const waiters = this.#idleWaiters;
        this.#idleWaiters = [];
        for (const wake of waiters) wake();
      }
      this.#pump();
    }
  }

  #lineOf(key: string): string[] {
    return this.#dirtyUrgent.has(key) ? this.#urgent : this.#ready;
  }

  /** The urgent line first, but one ordinary key after every URGENT_BURST urgent ones. */
  #next(): string {
    const ordinaryTurn = this.#ready.length > 0 && (this.#urgent.length === 0 || this.#urgentInARow >= URGENT_BURST);
    if (ordinaryTurn) {
      this.#urgentInARow = 0;
      return this.#ready.shift() as string;
    }
    this.#urgentInARow += 1;
    return this.#urgent.shift() as string;
  }
}
