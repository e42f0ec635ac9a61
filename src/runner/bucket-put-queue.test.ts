import { describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { BoundedPutQueue } from './bucket-put-queue.ts';

describe('bounded put queue', () => {
  it('never runs more than the limit at once, in count or in bytes', async () => {
    const queue = new BoundedPutQueue(3, 100);
    let running = 0;
    let bytes = 0;
    let maxRunning = 0;
    let maxBytes = 0;
    for (let i = 0; i < 20; i++) {
      const size = (i % 4) * 20;
      await queue.run(size, async () => {
        running += 1;
        bytes += size;
        maxRunning = Math.max(maxRunning, running);
        maxBytes = Math.max(maxBytes, bytes);
        await sleep(1 + (i % 3));
        running -= 1;
        bytes -= size;
      });
    }
    await queue.drain();
    expect(maxRunning).toBeLessThanOrEqual(3);
    expect(maxBytes).toBeLessThanOrEqual(100);
  });

  it('reports the first failure and starts nothing after it', async () => {
    const queue = new BoundedPutQueue(2, 1000);
    const started: number[] = [];
    const attempt = async () => {
      for (let i = 0; i < 10; i++) {
        await queue.run(1, async () => {
          started.push(i);
          await sleep(2);
          if (i === 1) throw new Error('put 1 failed');
        });
      }
      await queue.drain();
    };
    await expect(attempt()).rejects.toThrow('put 1 failed');
    expect(started.length).toBeLessThan(10);
  });
});
