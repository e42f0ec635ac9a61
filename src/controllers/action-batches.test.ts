import { describe, expect, it } from '@jest/globals';
import { type ActionOrder, carryOutInBatches } from './action-batches.ts';

interface Step {
  name: string;
  order: ActionOrder;
  fails?: boolean;
}

/** Carries out steps whose requests the test answers: the log shows what was in flight when. */
function harness() {
  const log: string[] = [];
  const pending = new Map<string, { resolve: () => void; reject: (error: Error) => void }>();
  const carryOut = (step: Step) =>
    new Promise<void>((resolve, reject) => {
      log.push(`start ${step.name}`);
      pending.set(step.name, {
        resolve: () => {
          log.push(`end ${step.name}`);
          resolve();
        },
        reject,
      });
    });
  const answer = async (name: string, error?: Error) => {
    const request = pending.get(name);
    if (!request) throw new Error(`${name} was not sent (sent: ${log.join(', ')})`);
    pending.delete(name);
    if (error) request.reject(error);
    else request.resolve();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { log, pending, carryOut, answer };
}

describe('carryOutInBatches', () => {
  it('sends the writes of a batch together, then its events together, and an ordered action only after both', async () => {
    const { log, carryOut, answer } = harness();
    const steps: Step[] = [
      { name: 'job-a', order: 'write' },
      { name: 'created-a', order: 'event' },
      { name: 'job-b', order: 'write' },
      { name: 'created-b', order: 'event' },
      { name: 'finalizer', order: 'ordered' },
      { name: 'job-c', order: 'write' },
    ];
    const done = carryOutInBatches(steps, (step) => step.order, carryOut);
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['start job-a', 'start job-b']);

    await answer('job-b');
    await answer('job-a');
    expect(log.slice(4)).toEqual(['start created-a', 'start created-b']);

    await answer('created-a');
    await answer('created-b');
    expect(log.at(-1)).toBe('start finalizer');
    await answer('finalizer');
    await answer('job-c');
    await done;
    expect(log.filter((line) => line.startsWith('start'))).toEqual([
      'start job-a',
      'start job-b',
      'start created-a',
      'start created-b',
      'start finalizer',
      'start job-c',
    ]);
  });

  it('records no event of a batch whose write failed, waits for its other writes, and throws the failure', async () => {
    const { log, carryOut, answer, pending } = harness();
    const steps: Step[] = [
      { name: 'job-a', order: 'write' },
      { name: 'job-b', order: 'write' },
      { name: 'created', order: 'event' },
      { name: 'after', order: 'ordered' },
    ];
    let settled = false;
    const done = carryOutInBatches(steps, (step) => step.order, carryOut).finally(() => (settled = true));
    const outcome = expect(done).rejects.toThrow('quota exceeded');
    await new Promise((resolve) => setImmediate(resolve));

    await answer('job-a', new Error('quota exceeded'));
    expect(settled).toBe(false);
    await answer('job-b');
    await outcome;
    expect(log).not.toContain('start created');
    expect(log).not.toContain('start after');
    expect(pending.size).toBe(0);
  });
});
