// A clock that only moves when a test says so. Timers fire in due order during advance();
// pending promise callbacks run between timers, so async code sees each instant in turn.
import type { Clock, Timer } from '../clock.ts';

interface PendingTimer {
  dueAt: number;
  order: number;
  callback: () => void;
}

export class FakeClock implements Clock {
  #now: number;
  #order = 0;
  #timers = new Set<PendingTimer>();

  constructor(start: number | Date = Date.UTC(2025, 0, 1)) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  setTimer(callback: () => void, delayMs: number): Timer {
    const timer: PendingTimer = { dueAt: this.#now + Math.max(0, delayMs), order: this.#order++, callback };
    this.#timers.add(timer);
    return { cancel: () => this.#timers.delete(timer) };
  }

  /** Timers not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await settle();
    for (;;) {
      const next = this.#nextDue();
      if (!next || next.dueAt > end) break;
      this.#timers.delete(next);
      this.#now = next.dueAt;
      next.callback();
      await settle();
    }
    this.#now = end;
    await settle();
  }

  #nextDue(): PendingTimer | undefined {
    let next: PendingTimer | undefined;
    for (const timer of this.#timers) {
      if (!next || timer.dueAt < next.dueAt || (timer.dueAt === next.dueAt && timer.order < next.order)) next = timer;
    }
    return next;
  }
}

/** Lets every already-resolved promise chain run to its next real wait. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
