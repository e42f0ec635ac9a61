// Bucket backup and restore failures and policies: a flipped byte in the artifact, a missing
// source or target bucket, and the Skip / Overwrite / Fail overwrite policies.
import { describe, expect, it, beforeAll } from '@jest/globals';
import { ageRecipientFromIdentity, generateAgeIdentity } from '../../../src/crypto/age-stream.ts';
import {
  adminClient,
  createBucket,
  exists,
  flipStoredByte,
  listedKeys,
  locationFor,
  seedObjects,
  storageFor,
  uniqueBucket,
} from './bucket-support.ts';
import { failureOf, getObject, putObject, runRunner } from './runner-harness.ts';

const s3 = adminClient();
const OBJECTS = [
  { key: 'k1', body: Buffer.from('new k1') },
  { key: 'k2', body: Buffer.from('new k2') },
  { key: 'dir/k3', body: Buffer.alloc(100_000, 3) },
];

let source: string;
let backups: string;
let endpoint: string;
let artifactBytes: number;
const location = locationFor('policies');

beforeAll(async () => {
  [source, backups] = [uniqueBucket('fail-src'), uniqueBucket('fail-bak')];
  await createBucket(s3, source);
  await createBucket(s3, backups);
  await seedObjects(s3, source, OBJECTS);
  endpoint = storageFor(backups).endpoint;
  const backup = await runRunner('bucket-backup', { storage: storageFor(backups), location, source: { endpoint, bucket: source } });
  expect(backup.result.ok).toBe(true);
  artifactBytes = Number(backup.result.summary?.sizeBytes);
}, 120_000);

async function targetWithOldK2(): Promise<string> {
  const target = uniqueBucket('fail-dst');
  await createBucket(s3, target);
  await putObject(target, 'k2', Buffer.from('old k2'));
  return target;
}

function restore(target: string, extra: Record<string, unknown> = {}) {
  return runRunner('bucket-restore', { storage: storageFor(backups), artifact: location, target: { endpoint, bucket: target }, ...extra });
}

describe('bucket restore overwrite policies', () => {
  it('Fail: refuses before writing anything when a key exists', async () => {
    const target = await targetWithOldK2();
    const failure = failureOf(await restore(target, { overwritePolicy: 'Fail' }));
    expect(failure.code).toBe('TargetNotEmpty');
    expect(failure.reason).toMatch(/1 of the objects to restore already exist in bucket .*"k2".*nothing was written/);
    expect(await listedKeys(s3, target)).toEqual(['k2']);
    expect((await getObject(target, 'k2')).toString()).toBe('old k2');
  }, 60_000);

  it('Skip: writes the missing objects and leaves existing ones alone', async () => {
    const target = await targetWithOldK2();
    const run = await restore(target, { overwritePolicy: 'Skip' });
    expect(run.result).toMatchObject({ ok: true, summary: { objects: 2, skippedObjects: 1, sizeBytes: artifactBytes } });
    expect((await getObject(target, 'k2')).toString()).toBe('old k2');
    expect((await getObject(target, 'k1')).toString()).toBe('new k1');
    expect(await exists(s3, target, 'dir/k3')).toBe(true);
  }, 60_000);

  it('Overwrite: replaces existing objects', async () => {
    const target = await targetWithOldK2();
    const run = await restore(target, { overwritePolicy: 'Overwrite' });
    // sizeBytes is the stored artifact's, as the backup reported it, whatever was written.
    expect(run.result).toMatchObject({ ok: true, summary: { objects: 3, skippedObjects: 0, sizeBytes: artifactBytes } });
    expect((await getObject(target, 'k2')).toString()).toBe('new k2');
  }, 60_000);

  it('remaps a prefix', async () => {
    const target = uniqueBucket('fail-map');
    const run = await restore(target, { prefixRemap: { from: 'dir/', to: 'moved/' } });
    expect(run.result).toMatchObject({ ok: true, summary: { createdBucket: true, objects: 3 } });
    expect((await listedKeys(s3, target)).sort()).toEqual(['k1', 'k2', 'moved/k3']);
  }, 60_000);

  it('fails with a one-line reason when the target bucket is missing and may not be created', async () => {
    const target = uniqueBucket('fail-none');
    const failure = failureOf(await restore(target, { createBucket: false }));
    expect(failure.code).toBe('BucketMissing');
    expect(failure.stderrLine).toMatch(new RegExp(`^lifeboat-runner bucket-restore: target bucket ${target} does not exist`));
    expect(failure.stderrLine.split('\n')).toHaveLength(1);
  }, 60_000);
});

describe('bucket backup failures', () => {
  it('fails with a one-line reason and writes no manifest when the source bucket is missing', async () => {
    const missing = uniqueBucket('fail-missing');
    const run = await runRunner('bucket-backup', {
      storage: storageFor(backups),
      location: locationFor('missing-source'),
      source: { endpoint, bucket: missing },
    });
    const failure = failureOf(run);
    expect(failure.code).toBe('BucketMissing');
    expect(failure.stderrLine).toMatch(new RegExp(`^lifeboat-runner bucket-backup: source bucket ${missing} does not exist`));
    expect(failure.stderrLine.split('\n')).toHaveLength(1);
    expect(await listedKeys(s3, backups, 'backups/it/bucket-tests/missing-source/')).toEqual([]);
  }, 60_000);
});

describe('a flipped byte in a bucket artifact', () => {
  it.each([
    ['unencrypted', false],
    ['encrypted', true],
  ])('is detected by verify and by restore (%s)', async (name, encrypted) => {
    const identity = await generateAgeIdentity();
    const flipped = locationFor(`flipped-${name}`);
    const backup = await runRunner('bucket-backup', {
      storage: storageFor(backups),
      location: flipped,
      source: { endpoint, bucket: source },
      compression: 'none',
      ...(encrypted ? { encryption: { recipients: [await ageRecipientFromIdentity(identity)] } } : {}),
    });
    expect(backup.result.ok).toBe(true);
    // In the middle of dir/k3's body: the tar and its headers stay well-formed.
    await flipStoredByte(s3, backups, String(backup.result.summary?.key), 2048 + 50_000);

    const verify = failureOf(await runRunner('verify', { storage: storageFor(backups), location: flipped }));
    expect(verify.code).toBe('ChecksumMismatch');

    const target = uniqueBucket('fail-flip');
    const env = encrypted ? { env: { LIFEBOAT_AGE_IDENTITY: identity } } : {};
    const failure = failureOf(
      await runRunner('bucket-restore', { storage: storageFor(backups), artifact: flipped, target: { endpoint, bucket: target } }, env),
    );
    expect(failure.code).toBe('ChecksumMismatch');
    expect(failure.stderrLine).toMatch(/does not match its manifest: SHA-256/);
    expect(failure.stderrLine.split('\n')).toHaveLength(1);
  }, 60_000);
});
