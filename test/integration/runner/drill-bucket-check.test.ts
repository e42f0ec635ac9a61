// bucket-check: a bucket backup restored into a new scratch bucket, as a drill does it, checked
// against the backup: object count, every key (after the restore's prefix remap), size and
// SHA-256, from the manifest or, when the manifest has no SHA-256s, from the archive itself.
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { artifactManifestKey } from '../../../src/contract/bucket-layout.ts';
import { scratchBucketName } from '../../../src/contract/tasks.ts';
import { ageRecipientFromIdentity, generateAgeIdentity } from '../../../src/crypto/age-stream.ts';
import { adminClient, seedObjects, type SeedObject } from './bucket-support.ts';
import { env, failureOf, getObject, makeBucket, putObject, runRunner, storageFor } from './runner-harness.ts';

jest.setTimeout(180_000);

const runId = randomBytes(5).toString('hex');
const endpoint = () => env().s3.endpoint;
const location = { namespace: 'shop', schedule: 'nightly', run: 'nightly-1', source: 'assets' };
const OBJECTS: SeedObject[] = [
  { key: 'docs/readme.txt', body: Buffer.from('read me\n') },
  { key: 'docs/empty', body: Buffer.alloc(0) },
  { key: 'docs/sp ace + plus/é—漢字.bin', body: randomBytes(3000) },
  { key: 'img/a.png', body: randomBytes(70_000), contentType: 'image/png' },
  { key: 'img/b.png', body: randomBytes(70_000), contentType: 'image/png' },
  // Over the restore's multipart threshold: read back as a stream, hashed as it comes.
  { key: 'big/blob', body: { size: 12 * 1024 * 1024 + 17, seed: 'big' } },
];

let storageBucket: string;
let identity: string;
const scratch: string[] = [];
const identityEnv = () => ({ LIFEBOAT_AGE_IDENTITY: identity });

beforeAll(async () => {
  storageBucket = await makeBucket('lb-bucket-check');
  const source = await makeBucket('lb-bucket-check-src');
  expect(await seedObjects(adminClient(), source, OBJECTS)).toEqual([]);
  identity = await generateAgeIdentity();
  const backup = await runRunner('bucket-backup', {
    storage: storageFor(storageBucket),
    location,
    source: { endpoint: endpoint(), bucket: source },
    encryption: { recipients: [await ageRecipientFromIdentity(identity)] },
  });
  expect(backup.result).toMatchObject({ ok: true, summary: { objects: OBJECTS.length, encrypted: true } });
});

afterAll(async () => {
  for (const name of scratch) await runRunner('scratch-drop', { kind: 'bucket', s3: { endpoint: endpoint() }, name });
});

/** A new scratch bucket with the backup restored into it. */
async function restoredScratch(index: number, prefixRemap?: { from: string; to: string }): Promise<string> {
  const name = scratchBucketName(runId, index);
  scratch.push(name);
  expect((await runRunner('scratch-create', { kind: 'bucket', s3: { endpoint: endpoint() }, name })).result).toMatchObject({ ok: true, summary: { created: true } });
  const restore = await runRunner(
    'bucket-restore',
    { storage: storageFor(storageBucket), artifact: location, target: { endpoint: endpoint(), bucket: name }, createBucket: false, decryption: {}, ...(prefixRemap ? { prefixRemap } : {}) },
    { env: identityEnv() },
  );
  expect(restore.result).toMatchObject({ ok: true, summary: { objects: OBJECTS.length } });
  return name;
}

function bucketCheck(target: string, extra: Record<string, unknown> = {}, options: { env?: NodeJS.ProcessEnv } = {}) {
  return runRunner('bucket-check', { storage: storageFor(storageBucket), artifact: location, target: { endpoint: endpoint(), bucket: target }, ...extra }, options);
}

describe('a restored bucket', () => {
  let target: string;

  beforeAll(async () => {
    target = await restoredScratch(0);
  });

  it('that holds exactly the backup passes, every object read back and hashed', async () => {
    const check = await bucketCheck(target);
    expect(check.stderr).toBe('');
    expect(check.result).toEqual({
      ok: true,
      subcommand: 'bucket-check',
      summary: expect.objectContaining({
        passed: true,
        objectCount: { expected: 6, actual: 6 },
        checked: 6,
        mismatched: 0,
        mismatches: [],
        missing: 0,
        extra: 0,
        targetBucket: target,
        expectedFrom: 'manifest',
        bytesRead: 3 * 1024 * 1024 * 4 + 17 + 8 + 3000 + 140_000,
      }),
    });
  });

  it('with one object changed, one missing and one extra fails with the counts', async () => {
    const s3 = adminClient();
    const changed = Buffer.from(await getObject(target, 'img/a.png'));
    changed[1000] = (changed[1000] as number) ^ 0xff;
    await putObject(target, 'img/a.png', changed);
    await s3.send(new DeleteObjectCommand({ Bucket: target, Key: 'docs/sp ace + plus/é—漢字.bin' }));
    await putObject(target, 'docs/new.txt', Buffer.from('not in the backup'));

    const check = await bucketCheck(target);
    const failure = failureOf(check);
    expect(failure.code).toBe('CheckFailed');
    expect(failure.reason).toBe(
      `restored bucket ${target} does not match the backup: 1 of 6 objects differ from the backup, 1 missing, 1 not in the backup (expected 6 objects, found 6); first: "img/a.png"`,
    );
    expect(check.result.details).toMatchObject({
      passed: false,
      objectCount: { expected: 6, actual: 6 },
      checked: 5,
      mismatched: 1,
      missing: 1,
      extra: 1,
      missingKeys: ['docs/sp ace + plus/é—漢字.bin'],
      extraKeys: ['docs/new.txt'],
      mismatches: [{ key: 'img/a.png', expected: expect.stringMatching(/^70000 bytes, SHA-256 [0-9a-f]{12}…$/), actual: expect.stringMatching(/^70000 bytes, SHA-256 [0-9a-f]{12}…$/) }],
    });
  });

  it('that is gone fails as missing', async () => {
    const failure = failureOf(await bucketCheck(scratchBucketName(runId, 9)));
    expect(failure.code).toBe('BucketMissing');
  });
});

describe('a manifest without the objects\' SHA-256', () => {
  let target: string;
  let manifestKey: string;
  let manifest: Buffer;

  beforeAll(async () => {
    target = await restoredScratch(1);
    manifestKey = artifactManifestKey('backups', location);
    manifest = await getObject(storageBucket, manifestKey);
    const stripped = JSON.parse(manifest.toString());
    delete stripped.bucket.objects;
    await putObject(storageBucket, manifestKey, Buffer.from(JSON.stringify(stripped)));
  });

  afterAll(async () => {
    await putObject(storageBucket, manifestKey, manifest);
  });

  it('makes the check read the archive (decrypting it) for them', async () => {
    const check = await bucketCheck(target, { decryption: {} }, { env: identityEnv() });
    expect(check.result).toMatchObject({ ok: true, summary: { passed: true, expectedFrom: 'archive', objectCount: { expected: 6, actual: 6 }, checked: 6 } });
  });

  it('and then needs the identity of an encrypted backup', async () => {
    const failure = failureOf(await bucketCheck(target));
    expect(failure).toMatchObject({ code: 'DecryptionFailed', reason: 'the artifact is encrypted and the identity variable LIFEBOAT_AGE_IDENTITY is not set' });
  });
});

describe('a restore under another prefix', () => {
  const prefixRemap = { from: 'docs/', to: 'restored/docs/' };
  let target: string;

  beforeAll(async () => {
    target = await restoredScratch(2, prefixRemap);
  });

  it('passes when checked with the same remap', async () => {
    expect((await bucketCheck(target, { prefixRemap })).result).toMatchObject({ ok: true, summary: { passed: true, checked: 6 } });
  });

  it('fails without it: the keys are elsewhere', async () => {
    const check = await bucketCheck(target);
    expect(failureOf(check).code).toBe('CheckFailed');
    expect(check.result.details).toMatchObject({ objectCount: { expected: 6, actual: 6 }, checked: 3, missing: 3, extra: 3, mismatched: 0 });
  });
});
