import { describe, expect, it } from '@jest/globals';
import { FakeClock, settle } from './testing/fake-clock.ts';
import { MAX_TIMER_DELAY_MS, URGENT_BURST, WorkQueue, type WorkQueueOptions } from './work-queue.ts';

/** A handler whose runs the test finishes one by one. */
function recordingHandler() {
  const started: string[] = [];
  const running = new Map<string, { finish: () => void; fail: (error: Error) => void; signal: AbortSignal }>();
  const handler = (key: string, signal: AbortSignal): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      started.push(key);
      running.set(key, {
        finish: () => {
          running.delete(key);
          resolve();
        },
        fail: (error) => {
          running.delete(key);
          reject(error);
        },
        signal,
      });
    });
  const finish = async (key: string): Promise<void> => {
    const run = running.get(key);
    if (!run) throw new Error(`${key} is not running`);
    run.finish();
    await settle();
  };
  return { handler, started, running, finish };
}

function queueWith(options: WorkQueueOptions = {}) {
  const clock = new FakeClock();
  const queue = new WorkQueue({ clock, backoff: { initialMs: 1_000, maxMs: 8_000 }, ...options });
  const work = recordingHandler();
  return { clock, queue, work };
}

describe('WorkQueue', () => {
  it('hands a key out once however often it was added while waiting', async () => {
    const { queue, work } = queueWith({ workers: 4 });
    queue.add('ns/a');
    queue.add('ns/b');
    queue.add('ns/a');
    expect(queue.depth).toBe(2);

    queue.start(work.handler);
    await settle();

    expect(work.started).toEqual(['ns/a', 'ns/b']);
  });

  it('never runs one key twice at once, and re-runs it once if it was added meanwhile', async () => {
    const { queue, work } = queueWith({ workers: 4 });
    queue.start(work.handler);
    queue.add('ns/a');
    await settle();
    queue.add('ns/a');
    queue.add('ns/a');
    await settle();
    expect(work.started).toEqual(['ns/a']);

    await work.finish('ns/a');
    expect(work.started).toEqual(['ns/a', 'ns/a']);

    await work.finish('ns/a');
    expect(work.started).toEqual(['ns/a', 'ns/a']);
    expect(queue.inFlight).toBe(0);
  });

  it('runs distinct keys in parallel up to the worker count, oldest first', async () => {
    const { queue, work } = queueWith({ workers: 2 });
    queue.start(work.handler);
    for (const key of ['a', 'b', 'c']) queue.add(key);
    await settle();
    expect(work.started).toEqual(['a', 'b']);
    expect(queue.depth).toBe(1);

    await work.finish('b');
    expect(work.started).toEqual(['a', 'b', 'c']);
  });

  it('hands urgent keys out before ordinary ones that waited longer', async () => {
    const { queue, work } = queueWith({ workers: 1 });
    queue.start(work.handler);
    queue.add('busy');
    for (const key of ['old-1', 'old-2']) queue.add(key);
    queue.add('due', { urgent: true });
    await settle();

    await work.finish('busy');
    expect(work.started).toEqual(['busy', 'due']);
    await work.finish('due');
    await work.finish('old-1');
    expect(work.started).toEqual(['busy', 'due', 'old-1', 'old-2']);
  });

  it(`lets one ordinary key go after every ${URGENT_BURST} urgent ones, so urgent work cannot starve the rest`, async () => {
    const { queue, work } = queueWith({ workers: 1 });
    queue.start(work.handler);
    queue.add('busy');
    queue.add('ordinary-1');
    queue.add('ordinary-2');
    const urgent = Array.from({ length: URGENT_BURST + 2 }, (_, index) => `urgent-${index}`);
    for (const key of urgent) queue.add(key, { urgent: true });
    await settle();

    for (let step = 0; step < urgent.length + 3 - 1; step += 1) await work.finish(work.started.at(-1)!);
    expect(work.started).toEqual(['busy', ...urgent.slice(0, URGENT_BURST), 'ordinary-1', ...urgent.slice(URGENT_BURST), 'ordinary-2']);
  });

  it('moves a waiting key to the urgent line when it is added again as urgent, keeping one entry', async () => {
    const { queue, work } = queueWith({ workers: 1 });
    queue.start(work.handler);
    queue.add('busy');
    queue.add('first');
    queue.add('second');
    queue.add('second', { urgent: true });
    queue.add('second');
    expect(queue.depth).toBe(2);
    await settle();

    await work.finish('busy');
    await work.finish('second');
    await work.finish('first');
    expect(work.started).toEqual(['busy', 'second', 'first']);
    expect(queue.depth).toBe(0);
  });

  it('adds a due requeue as urgent when it was asked for as urgent, also when an earlier plain delay wins', async () => {
    const { clock, queue, work } = queueWith({ workers: 1 });
    queue.start(work.handler);
    queue.add('busy');
    queue.add('ordinary');
    queue.addAfter('cron', 1_000);
    queue.addAfter('cron', 5_000, { urgent: true });
    await clock.advance(1_000);

    await work.finish('busy');
    expect(work.started).toEqual(['busy', 'cron']);
  });

  it('adds a key after its delay, and the earliest of several delays wins', async () => {
    const { clock, queue, work } = queueWith();
    queue.start(work.handler);
    queue.addAfter('late-then-early', 5_000);
    queue.addAfter('late-then-early', 1_000);
    queue.addAfter('early-then-late', 1_000);
    queue.addAfter('early-then-late', 5_000);

    await clock.advance(999);
    expect(work.started).toEqual([]);
    await clock.advance(1);
    expect(work.started).toEqual(['late-then-early']);
    await work.finish('late-then-early');
    expect(work.started).toEqual(['late-then-early', 'early-then-late']);
    await work.finish('early-then-late');

    await clock.advance(10_000);
    expect(work.started).toHaveLength(2);
    expect(clock.pendingTimers).toBe(0);
  });

  it('wakes a key no later than the longest timer Node honours, never at once, for a far-off requeue', async () => {
    const { clock, queue, work } = queueWith();
    queue.start(work.handler);
    queue.addAfter('yearly', 365 * 24 * 3600 * 1000);

    await clock.advance(1_000);
    expect(work.started).toEqual([]);
    await clock.advance(MAX_TIMER_DELAY_MS - 1_000);
    expect(work.started).toEqual(['yearly']);
  });

  it('doubles the backoff with each failure up to the cap, and forget starts over', () => {
    const { queue } = queueWith();
    const delays = [1, 2, 3, 4, 5].map(() => queue.addRateLimited('ns/a'));
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 8_000]);
    expect(queue.failures('ns/a')).toBe(5);
    expect(queue.addRateLimited('ns/other')).toBe(1_000);

    queue.forget('ns/a');
    expect(queue.failures('ns/a')).toBe(0);
    expect(queue.addRateLimited('ns/a')).toBe(1_000);
  });

  it('takes a per-call backoff policy, for quick conflict retries', () => {
    const { queue } = queueWith();
    const quick = { initialMs: 100, maxMs: 8_000 };
    expect([1, 2, 3].map(() => queue.addRateLimited('ns/a', quick))).toEqual([100, 200, 400]);
  });

  it('retries a key whose handler throws, after the backoff delay', async () => {
    const failures: string[] = [];
    const { clock, queue, work } = queueWith({ onHandlerError: (key) => failures.push(key) });
    queue.start(work.handler);
    queue.add('ns/a');
    await settle();
    work.running.get('ns/a')?.fail(new Error('boom'));
    await settle();
    expect(failures).toEqual(['ns/a']);

    await clock.advance(999);
    expect(work.started).toEqual(['ns/a']);
    await clock.advance(1);
    expect(work.started).toEqual(['ns/a', 'ns/a']);
  });

  it('on shutdown stops taking work and waits for the handlers in flight', async () => {
    const { clock, queue, work } = queueWith({ workers: 2 });
    queue.start(work.handler);
    queue.add('a');
    queue.add('b');
    queue.add('c');
    queue.addAfter('d', 1_000);
    await settle();

    const outcome = queue.shutdown(30_000);
    queue.add('e');
    await work.finish('a');
    await clock.advance(5_000);
    await work.finish('b');

    await expect(outcome).resolves.toEqual({ drained: true, abandoned: [] });
    expect(work.started).toEqual(['a', 'b']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('aborts and hands back the handlers still running when the shutdown times out', async () => {
    const { clock, queue, work } = queueWith();
    queue.start(work.handler);
    queue.add('stuck');
    await settle();
    const signal = work.running.get('stuck')?.signal;

    const outcome = queue.shutdown(10_000);
    await clock.advance(9_999);
    expect(signal?.aborted).toBe(false);
    await clock.advance(1);

    await expect(outcome).resolves.toEqual({ drained: false, abandoned: ['stuck'] });
    expect(signal?.aborted).toBe(true);
  });
});
