// The verify task against a stand-in S3 client holding one run: the verdict it leaves next to the
// run manifest for a run that reads back, for one that does not, and what it never does (store a
// verdict after a read-back that could not finish, let a verdict it cannot store change the
// task's own failure, call one good source a good run).
import { describe, expect, it } from '@jest/globals';
import type { S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pino } from 'pino';
import { RunVerification, type ArtifactManifest, type RunManifest } from '../contract/manifests.ts';
import type { VerifyTask } from '../contract/tasks.ts';
import { RunnerError } from '../failures/runner-error.ts';
import type { RunnerContext } from './context.ts';
import type { ProgressReporter } from './progress.ts';
import { runVerify } from './verify.ts';

const location = { namespace: 'shop', schedule: 'nightly', run: 'nightly-1' };
const folder = 'p/shop/nightly/nightly-1';
const VERDICT = `${folder}/verification.json`;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A stored run with sources `db` and `files`, each artifact holding its name repeated. */
function storedRun(): Map<string, Buffer> {
  const objects = new Map<string, Buffer>();
  const sources: RunManifest['sources'] = [];
  for (const name of ['db', 'files']) {
    const data = Buffer.from(name.repeat(1000));
    const key = `${folder}/${name}/objects.tar.zst`;
    const artifact: ArtifactManifest = {
      formatVersion: 1,
      kind: 'bucket',
      location: { ...location, source: name },
      startedAt: '2026-01-01T00:00:00Z',
      completedAt: '2026-01-01T00:01:00Z',
      snapshotTime: '2026-01-01T00:00:00Z',
      tools: {},
      artifact: { key, sizeBytes: data.length, sha256: sha256(data), compression: 'zstd', encryption: null, contentType: 'application/octet-stream' },
      bucket: { bucket: name, prefix: '', objectCount: 1, totalBytes: data.length },
    };
    objects.set(key, data);
    objects.set(`${folder}/${name}/manifest.json`, Buffer.from(JSON.stringify(artifact)));
    sources.push({ name, kind: 'bucket', manifestKey: `${folder}/${name}/manifest.json`, artifactKey: key, sizeBytes: data.length, sha256: sha256(data), snapshotTime: '2026-01-01T00:00:00Z', encrypted: false });
  }
  const manifest: RunManifest = { formatVersion: 1, location, completedAt: '2026-01-01T00:02:00Z', snapshotTime: '2026-01-01T00:00:00Z', totalSizeBytes: 7000, sources };
  objects.set(`${folder}/manifest.json`, Buffer.from(JSON.stringify(manifest)));
  return objects;
}

function s3Error(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

/** `failPuts`: PUTs answer 503; `unreachable`: GETs and HEADs of those keys fail as a network would. */
function fakeS3(objects: Map<string, Buffer>, options: { failPuts?: boolean; unreachable?: string[] } = {}): S3Client {
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const input = command.input;
      const key = String(input.Key);
      if (options.unreachable?.includes(key)) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      switch (command.constructor.name) {
        case 'PutObjectCommand':
          if (options.failPuts) throw s3Error('ServiceUnavailable', 503);
          objects.set(key, Buffer.from(String(input.Body)));
          return {};
        case 'HeadObjectCommand': {
          const data = objects.get(key);
          if (!data) throw s3Error('NotFound', 404);
          return { ContentLength: data.length, ETag: '"e"' };
        }
        case 'GetObjectCommand': {
          const data = objects.get(key);
          if (!data) throw s3Error('NoSuchKey', 404);
          const range = /^bytes=(\d+)-(\d+)$/.exec(String(input.Range ?? ''));
          const bytes = range ? data.subarray(Number(range[1]), Number(range[2]) + 1) : data;
          return { Body: Object.assign(Readable.from([bytes]), { transformToString: async () => bytes.toString('utf8') }), ContentLength: bytes.length, ETag: '"e"' };
        }
      }
      throw new Error(`unexpected ${command.constructor.name}`);
    },
  };
  return client as unknown as S3Client;
}

function context(s3: S3Client, signal = new AbortController().signal): RunnerContext {
  const progress = { phase() {}, addBytes() {}, addObjects() {}, finish: () => ({}), snapshot: () => ({}) } as unknown as ProgressReporter;
  return {
    logger: pino({ level: 'silent' }),
    s3: () => s3,
    objects: () => {
      throw new Error('verify reads through the SDK client');
    },
    signal,
    progress,
    env: {},
    now: () => new Date('2026-01-01T00:05:00.000Z'),
  };
}

const task = (source?: string): VerifyTask => ({
  storage: { bucket: 'backups', prefix: 'p', region: 'us-east-1', forcePathStyle: true } as VerifyTask['storage'],
  location: { ...location, ...(source ? { source } : {}) },
});

const verdictIn = (objects: Map<string, Buffer>) => {
  const stored = objects.get(VERDICT);
  return stored === undefined ? undefined : RunVerification.parse(JSON.parse(stored.toString('utf8')));
};

function flipByte(objects: Map<string, Buffer>, key: string): void {
  const data = Buffer.from(objects.get(key)!);
  data[10] = data[10]! ^ 0x20;
  objects.set(key, data);
}

describe('runVerify and the verdict it stores', () => {
  it('a run that reads back: verified, with every source it checked', async () => {
    const objects = storedRun();
    const summary = await runVerify(task(), context(fakeS3(objects)));
    expect(summary.verified).toEqual([expect.objectContaining({ source: 'db' }), expect.objectContaining({ source: 'files' })]);
    expect(verdictIn(objects)).toEqual({ formatVersion: 1, location, verified: true, checkedAt: '2026-01-01T00:05:00.000Z', checked: ['db', 'files'] });
  });

  it('a flipped byte: the task fails with ChecksumMismatch, and the verdict names the artifact and why', async () => {
    const objects = storedRun();
    flipByte(objects, `${folder}/files/objects.tar.zst`);
    const failure = await runVerify(task(), context(fakeS3(objects))).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'ChecksumMismatch' });
    expect(verdictIn(objects)).toEqual({
      formatVersion: 1,
      location,
      verified: false,
      checkedAt: '2026-01-01T00:05:00.000Z',
      checked: ['db'],
      failure: { source: 'files', key: `${folder}/files/objects.tar.zst`, code: 'ChecksumMismatch', reason: (failure as Error).message },
    });
  });

  it('an artifact that is gone, or whose manifest is: failed, as ArtifactMissing and ManifestMissing', async () => {
    const gone = storedRun();
    gone.delete(`${folder}/db/objects.tar.zst`);
    await expect(runVerify(task(), context(fakeS3(gone)))).rejects.toBeInstanceOf(RunnerError);
    expect(verdictIn(gone)).toMatchObject({ verified: false, failure: { source: 'db', key: `${folder}/db/objects.tar.zst`, code: 'ArtifactMissing' } });

    const noManifest = storedRun();
    noManifest.delete(`${folder}/files/manifest.json`);
    await expect(runVerify(task(), context(fakeS3(noManifest)))).rejects.toMatchObject({ code: 'ManifestMissing' });
    expect(verdictIn(noManifest)?.failure).toEqual({ source: 'files', code: 'ManifestMissing', reason: expect.stringContaining(`${folder}/files/manifest.json`) });
  });

  it('a verdict that cannot be stored changes nothing: the checksum mismatch is still the failure, a good run still passes', async () => {
    const objects = storedRun();
    flipByte(objects, `${folder}/db/objects.tar.zst`);
    await expect(runVerify(task(), context(fakeS3(objects, { failPuts: true })))).rejects.toMatchObject({ code: 'ChecksumMismatch' });
    const good = storedRun();
    await expect(runVerify(task(), context(fakeS3(good, { failPuts: true })))).resolves.toMatchObject({ verified: [expect.anything(), expect.anything()] });
    expect(verdictIn(good)).toBeUndefined();
  });

  it('stores nothing when the read-back could not finish: storage unreachable says nothing about the data', async () => {
    const objects = storedRun();
    const failure = await runVerify(task(), context(fakeS3(objects, { unreachable: [`${folder}/db/objects.tar.zst`] }))).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'StorageUnavailable' });
    expect(verdictIn(objects)).toBeUndefined();
  });

  it('stores nothing without a run manifest: there is no run to judge', async () => {
    const objects = storedRun();
    objects.delete(`${folder}/manifest.json`);
    await expect(runVerify(task(), context(fakeS3(objects)))).rejects.toMatchObject({ code: 'ManifestMissing' });
    expect(verdictIn(objects)).toBeUndefined();
  });

  it('one source checked: a pass stores nothing (it says nothing of the others), a failure stores the run as failed', async () => {
    const objects = storedRun();
    await runVerify(task('db'), context(fakeS3(objects)));
    expect(verdictIn(objects)).toBeUndefined();
    flipByte(objects, `${folder}/db/objects.tar.zst`);
    await expect(runVerify(task('db'), context(fakeS3(objects)))).rejects.toMatchObject({ code: 'ChecksumMismatch' });
    expect(verdictIn(objects)).toMatchObject({ verified: false, checked: [], failure: { source: 'db', code: 'ChecksumMismatch' } });
  });
});
