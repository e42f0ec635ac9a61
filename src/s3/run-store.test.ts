// The RunStore port against a stand-in S3 client holding a few objects: which manifests the
// catalog sees with their read-back verdicts, how a missing bucket, a broken manifest and a
// broken verdict read, and deletion in pages.
import { describe, expect, it } from '@jest/globals';
import type { S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { RunManifest, RunVerification } from '../contract/manifests.ts';
import { runStoreOn } from './run-store.ts';

const manifest: RunManifest = {
  formatVersion: 1,
  location: { namespace: 'shop', schedule: 'nightly', run: 'nightly-1' },
  completedAt: '2026-01-01T00:10:00Z',
  snapshotTime: '2026-01-01T00:00:00Z',
  totalSizeBytes: 10,
  sources: [],
};

function s3Error(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

/** Objects by key; `bucketMissing` answers every call with NoSuchBucket, `failGets` those keys' GETs with a 500. */
function fakeS3(objects: Map<string, string>, options: { bucketMissing?: boolean; failGets?: string[] } = {}) {
  const sent: string[] = [];
  const gets: string[] = [];
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name;
      const input = command.input;
      sent.push(name);
      if (options.bucketMissing) throw s3Error('NoSuchBucket', 404);
      if (name === 'ListObjectsV2Command') {
        const prefix = String(input.Prefix ?? '');
        const keys = [...objects.keys()].filter((key) => key.startsWith(prefix)).sort();
        if (input.Delimiter === '/') {
          const folders = [...new Set(keys.map((key) => key.slice(0, key.indexOf('/', prefix.length) + 1)).filter(Boolean))];
          return { CommonPrefixes: folders.map((Prefix) => ({ Prefix })), IsTruncated: false };
        }
        // Pages as S3 does: at most MaxKeys, and a token for the rest.
        const start = input.ContinuationToken ? Number(input.ContinuationToken) : 0;
        const end = start + Number(input.MaxKeys ?? 1000);
        const more = end < keys.length;
        return { Contents: keys.slice(start, end).map((Key) => ({ Key })), IsTruncated: more, ...(more ? { NextContinuationToken: String(end) } : {}) };
      }
      if (name === 'GetObjectCommand') {
        gets.push(String(input.Key));
        if (options.failGets?.includes(String(input.Key))) throw s3Error('InternalError', 500);
        const text = objects.get(String(input.Key));
        if (text === undefined) throw s3Error('NoSuchKey', 404);
        return { Body: { transformToString: async () => text } };
      }
      if (name === 'DeleteObjectsCommand') {
        for (const { Key } of (input.Delete as { Objects: { Key: string }[] }).Objects) objects.delete(Key);
        return {};
      }
      throw new Error(`unexpected ${name}`);
    },
  };
  return { client: client as unknown as S3Client, sent, gets };
}

const verdict = (change: Partial<RunVerification> = {}): RunVerification => ({
  formatVersion: 1,
  location: manifest.location,
  verified: false,
  checkedAt: '2026-01-01T00:12:00Z',
  checked: [],
  failure: { source: 'db', key: 'p/shop/nightly/nightly-1/db/dump.zst', code: 'ChecksumMismatch', reason: 'artifact s3://backups/p/shop/nightly/nightly-1/db/dump.zst does not match its manifest' },
  ...change,
});

describe('runStoreOn', () => {
  it('lists the run manifests under a prefix: finished runs only, invalid ones apart', async () => {
    const objects = new Map([
      ['p/shop/nightly/nightly-1/manifest.json', JSON.stringify(manifest)],
      ['p/shop/nightly/nightly-1/db/dump.zst', 'data'],
      ['p/shop/nightly/nightly-2/db/dump.zst', 'unfinished: no run manifest'],
      ['p/shop/nightly/nightly-3/manifest.json', '{"formatVersion": 1'],
    ]);
    const store = runStoreOn(fakeS3(objects).client);

    const listing = await store.listRunManifests({ bucket: 'backups', prefix: 'p/shop/nightly/' });

    expect(listing.entries).toEqual([{ key: 'p/shop/nightly/nightly-1/manifest.json', manifest }]);
    expect(listing.invalid).toEqual([{ key: 'p/shop/nightly/nightly-3/manifest.json', reason: 'not valid JSON' }]);
  });

  it('returns the verdict stored next to a manifest, reading it only where it exists', async () => {
    const second = { ...manifest, location: { ...manifest.location, run: 'nightly-2' } };
    const objects = new Map([
      ['p/shop/nightly/nightly-1/manifest.json', JSON.stringify(manifest)],
      ['p/shop/nightly/nightly-1/verification.json', JSON.stringify(verdict())],
      ['p/shop/nightly/nightly-1/db/dump.zst', 'data'],
      ['p/shop/nightly/nightly-1/db/manifest.json', '{}'],
      ['p/shop/nightly/nightly-2/manifest.json', JSON.stringify(second)],
      ['p/shop/nightly/nightly-2/db/dump.zst', 'data'],
      // A verdict in an unfinished run's folder: no manifest, so nothing is read there.
      ['p/shop/nightly/nightly-3/verification.json', JSON.stringify(verdict())],
    ]);
    const fake = fakeS3(objects);

    const listing = await runStoreOn(fake.client).listRunManifests({ bucket: 'backups', prefix: 'p/shop/nightly/' });

    expect(listing.entries).toEqual([
      { key: 'p/shop/nightly/nightly-1/manifest.json', manifest, verification: verdict() },
      { key: 'p/shop/nightly/nightly-2/manifest.json', manifest: second },
    ]);
    expect(fake.gets).toEqual(['p/shop/nightly/nightly-1/manifest.json', 'p/shop/nightly/nightly-1/verification.json', 'p/shop/nightly/nightly-2/manifest.json']);
    expect(fake.sent.filter((name) => name === 'ListObjectsV2Command')).toHaveLength(1);
  });

  it.each([
    ['not JSON', () => '{"verified": fal'],
    ['not a verdict', () => JSON.stringify({ ...verdict(), verified: 'no' })],
    ['about another run', () => JSON.stringify(verdict({ location: { ...manifest.location, run: 'nightly-9' } }))],
  ])('lists the backup with no verdict when the stored one is %s', async (_what, body) => {
    const objects = new Map([
      ['p/shop/nightly/nightly-1/manifest.json', JSON.stringify(manifest)],
      ['p/shop/nightly/nightly-1/verification.json', body()],
    ]);
    const listing = await runStoreOn(fakeS3(objects).client).listRunManifests({ bucket: 'backups', prefix: 'p/shop/nightly/' });
    expect(listing).toEqual({ entries: [{ key: 'p/shop/nightly/nightly-1/manifest.json', manifest }], invalid: [] });
  });

  it('lists the backup with no verdict when the verdict cannot be read', async () => {
    const objects = new Map([
      ['p/shop/nightly/nightly-1/manifest.json', JSON.stringify(manifest)],
      ['p/shop/nightly/nightly-1/verification.json', JSON.stringify(verdict())],
    ]);
    const fake = fakeS3(objects, { failGets: ['p/shop/nightly/nightly-1/verification.json'] });
    const listing = await runStoreOn(fake.client).listRunManifests({ bucket: 'backups', prefix: 'p/shop/nightly/' });
    expect(listing.entries).toEqual([{ key: 'p/shop/nightly/nightly-1/manifest.json', manifest }]);
  });

  it('finds the runs of a schedule whose keys fill more than one listing page', async () => {
    const objects = new Map<string, string>();
    for (let n = 0; n < 400; n++) {
      const run = `nightly-${String(n).padStart(3, '0')}`;
      objects.set(`p/shop/nightly/${run}/manifest.json`, JSON.stringify({ ...manifest, location: { ...manifest.location, run } }));
      objects.set(`p/shop/nightly/${run}/db/manifest.json`, '{}');
      objects.set(`p/shop/nightly/${run}/db/dump.zst`, 'data');
    }
    const fake = fakeS3(objects);
    const listing = await runStoreOn(fake.client).listRunManifests({ bucket: 'backups', prefix: 'p/shop/nightly/' });
    expect(listing.entries).toHaveLength(400);
    expect(listing.entries.at(-1)?.manifest.location.run).toBe('nightly-399');
    expect(fake.sent.filter((name) => name === 'ListObjectsV2Command')).toHaveLength(2);
  });

  it('lists a missing bucket as empty', async () => {
    const store = runStoreOn(fakeS3(new Map(), { bucketMissing: true }).client);
    await expect(store.listRunManifests({ bucket: 'gone', prefix: 'p/' })).resolves.toEqual({ entries: [], invalid: [] });
  });

  it('reads one manifest, and nothing where there is none', async () => {
    const store = runStoreOn(fakeS3(new Map([['k/manifest.json', JSON.stringify(manifest)]])).client);
    await expect(store.readRunManifest({ bucket: 'backups', key: 'k/manifest.json' })).resolves.toEqual({ key: 'k/manifest.json', manifest });
    await expect(store.readRunManifest({ bucket: 'backups', key: 'other/manifest.json' })).resolves.toBeUndefined();
  });

  it('deletes everything under a prefix in pages of 1000 and leaves the rest', async () => {
    const objects = new Map<string, string>(Array.from({ length: 2500 }, (_, i) => [`run/${String(i).padStart(4, '0')}`, 'x'] as const));
    objects.set('other/keep', 'x');
    const fake = fakeS3(objects);

    const deleted = await runStoreOn(fake.client).deletePrefix({ bucket: 'backups', prefix: 'run/' });

    expect(deleted).toBe(2500);
    expect([...objects.keys()]).toEqual(['other/keep']);
    expect(fake.sent.filter((name) => name === 'DeleteObjectsCommand')).toHaveLength(3);
  });

  it('names the place in a failure, never credentials', async () => {
    const client = { send: async () => Promise.reject(s3Error('AccessDenied', 403)) } as unknown as S3Client;
    const failure = runStoreOn(client).deletePrefix({ bucket: 'backups', prefix: 'run/', endpoint: 'http://minio:9000' });
    await expect(failure).rejects.toMatchObject({ code: 'AccessDenied', message: expect.stringContaining('s3://backups/run/ at http://minio:9000') });
  });
});

describe('runStoreOn(...).writeObject', () => {
  it('PUTs the bytes once, with their type and MD5, and says their SHA-256 and size', async () => {
    const puts: Record<string, unknown>[] = [];
    const client = {
      async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
        puts.push({ command: command.constructor.name, ...command.input });
        return {};
      },
    } as unknown as S3Client;
    const report = '# Drill ✓\n';

    const written = await runStoreOn(client).writeObject({ bucket: 'backups' }, 'p/shop/nightly/drills/d-1/report.md', report, 'text/markdown; charset=utf-8');

    const bytes = Buffer.from(report, 'utf8');
    expect(written).toEqual({ sha256: createHash('sha256').update(bytes).digest('hex'), sizeBytes: bytes.length });
    expect(puts).toEqual([
      {
        command: 'PutObjectCommand',
        Bucket: 'backups',
        Key: 'p/shop/nightly/drills/d-1/report.md',
        Body: bytes,
        ContentType: 'text/markdown; charset=utf-8',
        ContentMD5: createHash('md5').update(bytes).digest('base64'),
      },
    ]);
  });

  it('writes a Buffer as it is', async () => {
    let body: unknown;
    const client = {
      async send(command: { input: { Body: unknown } }) {
        body = command.input.Body;
        return {};
      },
    } as unknown as S3Client;
    const bytes = Buffer.from([0, 1, 2, 255]);
    await expect(runStoreOn(client).writeObject({ bucket: 'b' }, 'k', bytes, 'application/octet-stream')).resolves.toEqual({
      sha256: createHash('sha256').update(bytes).digest('hex'),
      sizeBytes: 4,
    });
    expect(body).toBe(bytes);
  });

  it('names the place in a failure', async () => {
    const client = { send: async () => Promise.reject(s3Error('NoSuchBucket', 404)) } as unknown as S3Client;
    const failure = runStoreOn(client).writeObject({ bucket: 'gone', endpoint: 'http://minio:9000' }, 'r/report.json', '{}', 'application/json');
    await expect(failure).rejects.toMatchObject({ code: 'BucketMissing', message: expect.stringContaining('s3://gone/r/report.json at http://minio:9000') });
  });
});
