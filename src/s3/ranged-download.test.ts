import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { GetObject, GetObjectRequest } from './object-reader.ts';
import { S3ResponseError } from './object-reader.ts';
import { readRangesInOrder } from './ranged-download.ts';

const KiB = 1024;

interface FakeOptions {
  /** Called per request; may cut the body short (return the bytes to send before failing). */
  cut?: (request: GetObjectRequest, call: number) => number | undefined;
  /** Answers Range with the whole object, like a server that does not support ranges. */
  ignoreRange?: boolean;
  etag?: string;
  /** Delay per chunk, in event-loop turns, by range start (to finish ranges out of order). */
  slow?: (start: number) => boolean;
}

/** An object store of one object: chunks of 1 KiB, optionally cut off mid-body. */
function fakeStore(data: Buffer, options: FakeOptions = {}) {
  const requests: GetObjectRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const get: GetObject = async (request) => {
    requests.push(request);
    if (options.etag && request.ifMatch !== options.etag) throw new S3ResponseError('PreconditionFailed', 'changed', 412);
    const start = options.ignoreRange ? 0 : (request.range?.start ?? 0);
    const end = options.ignoreRange ? data.length - 1 : (request.range?.end ?? data.length - 1);
    const cutAfter = options.cut?.(request, requests.length);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    async function* body(): AsyncGenerator<Buffer> {
      try {
        let sent = 0;
        for (let offset = start; offset <= end; offset += KiB) {
          if (options.slow?.(start)) for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
          if (cutAfter !== undefined && sent >= cutAfter) throw Object.assign(new Error('socket closed'), { code: 'ECONNRESET' });
          const chunk = data.subarray(offset, Math.min(offset + KiB, end + 1));
          sent += chunk.length;
          yield chunk;
        }
      } finally {
        inFlight -= 1;
      }
    }
    return { body: body(), metadata: {} };
  };
  return { get, requests, maxInFlight: () => maxInFlight };
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

describe('readRangesInOrder', () => {
  const data = randomBytes(100 * KiB + 123);

  it('delivers the object in order when later ranges finish first', async () => {
    // The first range is slow: the ones after it complete before it.
    const store = fakeStore(data, { slow: (start) => start === 0 });
    const read = await collect(readRangesInOrder(store.get, { bucket: 'b', key: 'k', sizeBytes: data.length, rangeBytes: 16 * KiB, concurrency: 3 }));
    expect(read.equals(data)).toBe(true);
    expect(store.requests.map((request) => request.range)).toEqual(
      Array.from({ length: 7 }, (_, index) => ({ start: index * 16 * KiB, end: Math.min((index + 1) * 16 * KiB, data.length) - 1 })),
    );
  });

  it('runs at most `concurrency` ranges at a time', async () => {
    const store = fakeStore(data);
    await collect(readRangesInOrder(store.get, { bucket: 'b', key: 'k', sizeBytes: data.length, rangeBytes: 8 * KiB, concurrency: 2 }));
    expect(store.maxInFlight()).toBe(2);
  });

  it('asks for the missing bytes of a range cut off mid-body, not the whole range again', async () => {
    const store = fakeStore(data, { cut: (request, call) => (call === 1 ? 5 * KiB : undefined) });
    const read = await collect(readRangesInOrder(store.get, { bucket: 'b', key: 'k', sizeBytes: data.length, rangeBytes: 32 * KiB, concurrency: 1 }));
    expect(read.equals(data)).toBe(true);
    expect(store.requests[1]?.range).toEqual({ start: 5 * KiB, end: 32 * KiB - 1 });
  });

  it('fails after the attempts are spent on a range that keeps being cut off', async () => {
    const store = fakeStore(data, { cut: () => KiB });
    await expect(
      collect(readRangesInOrder(store.get, { bucket: 'b', key: 'k', sizeBytes: data.length, rangeBytes: 32 * KiB, concurrency: 1, attempts: 2 })),
    ).rejects.toThrow('socket closed');
  });

  it('sends the ETag with every range and does not retry an object that changed', async () => {
    const store = fakeStore(data, { etag: '"new"' });
    await expect(
      collect(readRangesInOrder(store.get, { bucket: 'b', key: 'k', sizeBytes: data.length, etag: '"old"', rangeBytes: 64 * KiB, concurrency: 1 })),
    ).rejects.toMatchObject({ name: 'PreconditionFailed' });
    expect(store.requests).toHaveLength(1);
    expect(store.requests[0]?.ifMatch).toBe('"old"');
  });

  it('refuses a server that answers a range with the whole object', async () => {
    const store = fakeStore(data, { ignoreRange: true });
    await expect(
      collect(readRangesInOrder(store.get, { bucket: 'b', key: 'k', sizeBytes: data.length, rangeBytes: 16 * KiB, concurrency: 2 })),
    ).rejects.toThrow(/returned more than/);
  });

  it('cancels the ranges still running when the reader stops early', async () => {
    const store = fakeStore(data);
    const signals: AbortSignal[] = [];
    const get: GetObject = (request) => {
      if (request.signal) signals.push(request.signal);
      return store.get(request);
    };
    for await (const chunk of readRangesInOrder(get, { bucket: 'b', key: 'k', sizeBytes: data.length, rangeBytes: 16 * KiB, concurrency: 3 })) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    expect(signals.length).toBeGreaterThan(0);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
  });

  it('reads nothing for an empty object', async () => {
    const store = fakeStore(Buffer.alloc(0));
    expect((await collect(readRangesInOrder(store.get, { bucket: 'b', key: 'k', sizeBytes: 0 }))).length).toBe(0);
    expect(store.requests).toHaveLength(0);
  });
});
