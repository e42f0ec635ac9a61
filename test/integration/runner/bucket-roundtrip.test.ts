// A bucket with awkward keys, zero-byte objects, user metadata and a 300 MB object goes through
// bucket-backup and bucket-restore, and every key, body and metadata entry comes back
// byte-identical. It runs on both S3 servers of the test environment: on gofakes3, whose
// storage keeps keys verbatim as AWS S3 does, every key must survive; on MinIO, which maps
// keys to files, the keys it refuses or does not list are reported and the rest must survive.
import { describe, expect, it } from '@jest/globals';
import {
  adminClient,
  createBucket,
  listedKeys,
  locationFor,
  objectFacts,
  seedObjects,
  storageFor,
  uniqueBucket,
  type SeedObject,
} from './bucket-support.ts';
import { runRunner } from './runner-harness.ts';
import { testEnv, type S3ServerInfo } from '../../support/env.ts';

const MB = 1024 * 1024;

const AWKWARD: SeedObject[] = [
  { key: 'a', body: Buffer.from('the file a'), metadata: { role: 'file' } },
  { key: 'a/b', body: Buffer.from('the file a/b, under a'), metadata: { role: 'nested' } },
  { key: 'ünïcödé/日本語/файл 🚀.txt', body: Buffer.from('unicode'), contentType: 'text/plain; charset=utf-8' },
  { key: 'with spaces/and  double  spaces ', body: Buffer.from('spaces') },
  { key: '../x', body: Buffer.from('parent') },
  { key: './x', body: Buffer.from('dot') },
  { key: '//', body: Buffer.from('slashes') },
  { key: 'double//slash', body: Buffer.from('double slash') },
  { key: `${'k'.repeat(250)}/${'k'.repeat(250)}/${'k'.repeat(250)}/${'k'.repeat(247)}`, body: Buffer.from('1,000-byte key') },
  { key: 'k'.repeat(1000), body: Buffer.from('1,000-byte single-segment key') },
  { key: 'tab\there and\nnewline', body: Buffer.from('control characters') },
  { key: 'percent%20 plus+ question? hash# quote" apostrophe\' back\\slash &<xml>', body: Buffer.from('punctuation') },
  { key: 'empty', body: Buffer.alloc(0), metadata: { empty: 'yes' } },
  { key: 'folder/', body: Buffer.alloc(0), contentType: 'application/x-directory' },
  {
    key: 'meta/rich',
    body: Buffer.from('rich metadata'),
    metadata: { 'x-trace': 'id=1; a=b', owner: 'team-42', blank: '' },
    contentType: 'application/json',
    cacheControl: 'max-age=3600, immutable',
    contentDisposition: 'attachment; filename="rich.json"',
  },
  { key: 'sizes/511', body: Buffer.alloc(511, 1) },
  { key: 'sizes/512', body: Buffer.alloc(512, 2) },
  { key: 'sizes/513', body: Buffer.alloc(513, 3) },
  { key: 'sizes/4MiB+1', body: { size: 4 * MB + 1, seed: 'ranged' } },
];

const LARGE: SeedObject = { key: 'large/300MB.bin', body: { size: 300 * MB, seed: 'large' }, metadata: { kind: 'large' } };

interface Server {
  name: string;
  info: () => S3ServerInfo;
  /** Whether the server stores and lists every key AWS S3 accepts. */
  keepsEveryKey: boolean;
}

const SERVERS: Server[] = [
  { name: 'gofakes3 (key-value storage, as AWS S3)', info: () => testEnv().keyValueS3, keepsEveryKey: true },
  { name: 'MinIO (keys mapped to files)', info: () => testEnv().s3, keepsEveryKey: false },
];

describe.each(SERVERS)('bucket backup and restore round trip on $name', ({ info, keepsEveryKey }) => {
  it('brings back every key, body and metadata entry byte-identical, including a 300 MB object', async () => {
    const server = info();
    const s3 = adminClient(server);
    const [source, backups, target] = [uniqueBucket('rt-src'), uniqueBucket('rt-bak'), uniqueBucket('rt-dst')];
    await createBucket(s3, source);
    await createBucket(s3, backups);

    const all = [...AWKWARD, LARGE];
    const refused = await seedObjects(s3, source, all);
    const listed = new Set(await listedKeys(s3, source));
    const stored = all.map((object) => object.key).filter((key) => !refused.includes(key));
    const unlisted = stored.filter((key) => !listed.has(key));
    if (keepsEveryKey) {
      expect({ refused, unlisted }).toEqual({ refused: [], unlisted: [] });
    } else if (refused.length + unlisted.length > 0) {
      // MinIO refuses `.`/`..`/empty segments and segments over 255 bytes, and does not list
      // `a/b` when `a` exists (minio/minio#18120). The gofakes3 case covers those keys.
      console.warn(
        `MinIO limits, covered by the gofakes3 case: refused ${JSON.stringify(refused.map((k) => k.slice(0, 40)))}; stored but not listed ${JSON.stringify(unlisted)}`,
      );
    }
    const expected = stored.filter((key) => listed.has(key));
    expect(expected.length).toBeGreaterThanOrEqual(keepsEveryKey ? all.length : 14);
    const before = await objectFacts(s3, source, expected);

    const storage = storageFor(backups, 'backups', server);
    const location = locationFor('roundtrip');
    const backup = await runRunner('bucket-backup', {
      storage,
      location,
      source: { endpoint: server.endpoint, bucket: source },
      compression: 'zstd',
    });
    expect(backup.result).toMatchObject({ ok: true, summary: { objects: expected.length, encrypted: false } });

    const restore = await runRunner('bucket-restore', {
      storage,
      artifact: location,
      target: { endpoint: server.endpoint, bucket: target },
      overwritePolicy: 'Fail',
    });
    expect(restore.result).toMatchObject({ ok: true, summary: { createdBucket: true, objects: expected.length, skippedObjects: 0 } });

    expect((await listedKeys(s3, target)).sort()).toEqual([...expected].sort());
    const after = await objectFacts(s3, target, expected);
    for (const key of expected) expect({ key, ...after.get(key) }).toEqual({ key, ...before.get(key) });
  }, 600_000);
});
