import { describe, expect, it } from '@jest/globals';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { S3ResponseError, type GetObject } from '../s3/object-reader.ts';
import { fetchInOrder, type FetchOptions } from './bucket-fetch.ts';
import type { ListedObject } from './bucket-listing.ts';

/** A stand-in for S3 GETs: answers from a map of bodies, after a varying delay, and records what it was asked. */
function fakeBucket(bodies: Map<string, Buffer>, options: { vanish?: string[]; changed?: string[] } = {}) {
  const requests: { key: string; range?: string; ifMatch?: string }[] = [];
  let launched = 0;
  let maxOutstanding = 0;
  let outstanding = 0;
  const getObject: GetObject = async ({ key, range: asked, ifMatch }) => {
    const range = asked ? `bytes=${asked.start}-${asked.end}` : undefined;
    requests.push({ key, ...(range ? { range } : {}), ...(ifMatch ? { ifMatch } : {}) });
    outstanding += 1;
    maxOutstanding = Math.max(maxOutstanding, outstanding);
    // Later requests often finish first: order must come from the fetcher, not from S3.
    for (let turns = (launched++ * 7) % 5; turns > 0; turns--) await nextTurn();
    outstanding -= 1;
    if (options.vanish?.includes(key)) throw new S3ResponseError('NoSuchKey', 'gone', 404);
    if (options.changed?.includes(key) && asked && asked.start !== 0) throw new S3ResponseError('PreconditionFailed', 'changed', 412);
    const body = bodies.get(key) as Buffer;
    const [start, end] = asked ? [asked.start, asked.end] : [0, body.length - 1];
    return {
      body: (async function* () {
        yield body.subarray(start, end + 1);
      })(),
      etag: `"etag-${key}"`,
      contentType: 'text/plain',
      metadata: { origin: key },
    };
  };
  return { getObject, requests, maxOutstanding: () => maxOutstanding };
}

function listingOf(bodies: Map<string, Buffer>): ListedObject[] {
  return [...bodies].map(([key, body]) => ({ key, size: body.length, etag: `"etag-${key}"` }));
}

async function* asAsync<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

async function drain(bodies: Map<string, Buffer>, fake: ReturnType<typeof fakeBucket>, options: Partial<FetchOptions> = {}) {
  const read: { key: string; body: Buffer; contentType?: string; metadata: Record<string, string> }[] = [];
  const fetching = fetchInOrder(fake.getObject, asAsync(listingOf(bodies)), {
    bucket: 'b',
    concurrency: 4,
    readAheadBytes: 1000,
    rangeBytes: 100,
    ...options,
  });
  for await (const { object, body } of fetching) {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk);
    read.push({ key: object.key, body: Buffer.concat(chunks), metadata: object.metadata, ...(object.contentType ? { contentType: object.contentType } : {}) });
  }
  return read;
}

const sample = new Map<string, Buffer>([
  ['small-1', Buffer.alloc(10, 1)],
  ['empty', Buffer.alloc(0)],
  ['exactly-one-range', Buffer.alloc(100, 2)],
  ['ranged', Buffer.from(Array.from({ length: 950 }, (_, i) => i % 251))],
  ['small-2', Buffer.alloc(99, 3)],
]);

describe('fetching objects in order', () => {
  it('hands out every object whole, in listing order, with its metadata', async () => {
    const read = await drain(sample, fakeBucket(sample));
    expect(read.map((entry) => entry.key)).toEqual([...sample.keys()]);
    for (const entry of read) {
      expect(entry.body.equals(sample.get(entry.key) as Buffer)).toBe(true);
      expect(entry).toMatchObject({ contentType: 'text/plain', metadata: { origin: entry.key } });
    }
  });

  it('fetches large objects as ranges, every GET conditional on the listed ETag', async () => {
    const fake = fakeBucket(sample);
    await drain(sample, fake);
    expect(fake.requests.filter((request) => request.key === 'ranged').map((request) => request.range)).toEqual(
      Array.from({ length: 10 }, (_, i) => `bytes=${i * 100}-${Math.min(950, (i + 1) * 100) - 1}`),
    );
    expect(fake.requests.find((request) => request.key === 'exactly-one-range')?.range).toBeUndefined();
    expect(fake.requests.every((request) => request.ifMatch === `"etag-${request.key}"`)).toBe(true);
  });

  it('keeps at most `concurrency` GETs in flight', async () => {
    const many = new Map(Array.from({ length: 50 }, (_, i) => [`k${i}`, Buffer.alloc(5, i)] as const));
    const fake = fakeBucket(many);
    expect((await drain(many, fake, { concurrency: 3 })).length).toBe(50);
    expect(fake.maxOutstanding()).toBeLessThanOrEqual(3);
  });

  it('keeps at most readAheadBytes in flight', async () => {
    const fake = fakeBucket(sample);
    await drain(sample, fake, { concurrency: 100, readAheadBytes: 250 });
    expect(fake.maxOutstanding()).toBeLessThanOrEqual(3);
  });

  it('skips an object deleted since the listing and reports it', async () => {
    const vanished: string[] = [];
    const read = await drain(sample, fakeBucket(sample, { vanish: ['ranged', 'small-1'] }), {
      onVanished: (listed) => vanished.push(listed.key),
    });
    expect(read.map((entry) => entry.key)).toEqual(['empty', 'exactly-one-range', 'small-2']);
    expect(vanished).toEqual(['small-1', 'ranged']);
  });

  it('fails when an object changes while its ranges are read', async () => {
    await expect(drain(sample, fakeBucket(sample, { changed: ['ranged'] }))).rejects.toThrow(
      /object "ranged" in bucket b changed during the backup/,
    );
  });
});
