// An encrypted bucket artifact: the runner restores it with the identity from the
// environment, refuses the wrong key with a one-line reason, and a user without Lifeboat
// recovers it with `age -d`, `zstd -d` and `tar`.
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ageRecipientFromIdentity, generateAgeIdentity } from '../../../src/crypto/age-stream.ts';
import { adminClient, createBucket, download, locationFor, objectFacts, seedObjects, storageFor, uniqueBucket } from './bucket-support.ts';
import { failureOf, runRunner } from './runner-harness.ts';

const OBJECTS = [
  { key: 'secret/plans.txt', body: Buffer.from('the plans'), metadata: { classification: 'internal' } },
  { key: 'secret/blob.bin', body: { size: 3 * 1024 * 1024 + 17, seed: 'blob' } },
  { key: 'empty', body: Buffer.alloc(0) },
];

const stockTools = ['age', 'zstd'].every((tool) => spawnSync(tool, ['--version']).status === 0);
if (!stockTools) console.warn('age or zstd CLI missing: skipping the stock-tools decryption check (apt-get install age zstd)');

describe('an encrypted bucket artifact', () => {
  it('restores with the identity, fails with the wrong one, and opens with age, zstd and tar', async () => {
    const s3 = adminClient();
    const [source, backups, target] = [uniqueBucket('age-src'), uniqueBucket('age-bak'), uniqueBucket('age-dst')];
    await createBucket(s3, source);
    await createBucket(s3, backups);
    expect(await seedObjects(s3, source, OBJECTS)).toEqual([]);
    const identity = await generateAgeIdentity();
    const endpoint = storageFor(backups).endpoint;

    const location = locationFor('encrypted');
    const backup = await runRunner('bucket-backup', {
      storage: storageFor(backups),
      location,
      source: { endpoint, bucket: source },
      compression: 'zstd',
      encryption: { recipients: [await ageRecipientFromIdentity(identity)] },
    });
    expect(backup.result).toMatchObject({ ok: true, summary: { encrypted: true, objects: 3 } });
    expect(String(backup.result.summary?.key)).toMatch(/bucket\.tar\.zst\.age$/);

    const restoreTask = { storage: storageFor(backups), artifact: location, target: { endpoint, bucket: target } };
    const wrong = await runRunner('bucket-restore', restoreTask, { env: { LIFEBOAT_AGE_IDENTITY: await generateAgeIdentity() } });
    const failure = failureOf(wrong);
    expect(failure.code).toBe('DecryptionFailed');
    expect(failure.reason).toMatch(/wrong age key/);
    expect(failure.stderrLine.split('\n')).toHaveLength(1);
    expect(failure.stderrLine).not.toContain('AGE-SECRET-KEY');

    const restore = await runRunner('bucket-restore', { ...restoreTask, overwritePolicy: 'Overwrite' }, { env: { LIFEBOAT_AGE_IDENTITY: `# a comment\n${identity}\n` } });
    expect(restore.result).toMatchObject({ ok: true, summary: { objects: 3 } });
    const keys = OBJECTS.map((object) => object.key);
    expect(await objectFacts(s3, target, keys)).toEqual(await objectFacts(s3, source, keys));

    if (!stockTools) return;
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-age-'));
    try {
      const artifact = join(dir, 'bucket.tar.zst.age');
      await download(s3, backups, String(backup.result.summary?.key), artifact);
      writeFileSync(join(dir, 'key.txt'), `${identity}\n`, { mode: 0o600 });
      const listing = spawnSync('sh', ['-c', 'age -d -i key.txt bucket.tar.zst.age | zstd -dc | tar -tf -'], { cwd: dir, encoding: 'utf8' });
      expect(listing).toMatchObject({ status: 0, stderr: '' });
      expect(listing.stdout.trim().split('\n').sort()).toEqual(['objects/empty', 'objects/secret/blob.bin', 'objects/secret/plans.txt']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
