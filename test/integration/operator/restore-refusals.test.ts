// What a RestoreRequest refuses to do, end to end, and that the target is untouched each time:
// a non-empty database without overwritePolicy Clean, a bucket that has one of the keys with
// overwritePolicy Fail, a stored artifact with one flipped byte, a Secret that does not exist
// (yet: the restore waits, then proceeds once it does), and targets that do not fit the backup
// (a source it lacks, a type it is not). Each says what to change, in status and in events.
// And the one way to restore over a non-empty database: overwritePolicy Clean, after which the
// database equals the backup.
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { seedDatabase } from '../../support/backup-fixture.ts';
import { testEnv } from '../../support/env.ts';
import { adminClient, createBucket, flipStoredByte, listedKeys } from '../runner/bucket-support.ts';
import { fingerprint } from '../runner/postgres-compare.ts';
import {
  applySecret,
  createDatabaseWith,
  databaseExists,
  dropDatabase,
  jobLog,
  noteOf,
  query,
  restoreJobs,
  tablesOf,
  waitForEvents,
  waitForRestoreState,
} from './restore-checks.ts';
import { bucketTarget, conditionOf, createRestore, databaseTarget, finalRestore, restoreManifest, type RestoreObject } from './restore-support.ts';
import { Scene, type RunObject } from './support.ts';

jest.setTimeout(400_000);

const BASE = 'base';
const CORRUPT = 'to-corrupt';

describe('a RestoreRequest that must not or cannot restore', () => {
  let scene: Scene;
  let corrupt: RunObject;
  const databases: string[] = [];
  const database = (suffix: string) => {
    const name = `${scene.fixture.database}_${suffix}`;
    databases.push(name);
    return name;
  };
  const where = (db: string) => `${testEnv().postgres.host}:${testEnv().postgres.port}/${db}`;

  /** A restore that failed in its Job: the target's message, Complete, and the events all say `reason`. */
  const expectTargetFailure = async (restore: RestoreObject, source: string, reason: string) => {
    expect(restore.status?.phase).toBe('Failed');
    expect(restore.status?.targets).toEqual([expect.objectContaining({ source, phase: 'Failed', jobName: `${restore.metadata.name}-${source}` })]);
    expect(restore.status?.targets?.[0]?.message).toContain(reason);
    // Failed in its Job: kstatus reads Stalled (docs/adr/0013), with Complete's message.
    expect(conditionOf(restore, 'Ready')).toMatchObject({ status: 'False', reason: 'JobFailed', message: conditionOf(restore, 'Complete')?.message });
    expect(conditionOf(restore, 'Stalled')).toMatchObject({ status: 'True', reason: 'JobFailed' });
    expect(conditionOf(restore, 'Reconciling')).toBeUndefined();
    expect(conditionOf(restore, 'Complete')).toMatchObject({ status: 'True', reason: 'Failed' });
    expect(conditionOf(restore, 'Complete')?.message).toContain(`target ${source} failed: `);
    expect(conditionOf(restore, 'Complete')?.message).toContain(reason);
    const events = await waitForEvents(scene, restore.metadata.name!, ['JobCreated', 'TargetFailed', 'RestoreFailed']);
    expect(noteOf(events, 'TargetFailed')).toContain(reason);
    expect(noteOf(events, 'RestoreFailed')).toContain(reason);
  };

  /** A restore refused before any Job: Ready False InvalidSpec, Failed at once, no Job. */
  const expectRefusedAtOnce = async (name: string, message: string) => {
    const restore = await finalRestore(scene.client, scene.namespace, name, 20_000);
    expect(restore.status?.phase).toBe('Failed');
    expect(conditionOf(restore, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec', message });
    expect(conditionOf(restore, 'Stalled')).toMatchObject({ status: 'True', reason: 'InvalidSpec', message });
    expect(conditionOf(restore, 'Complete')).toMatchObject({ status: 'True', reason: 'Failed', message });
    expect(restore.status?.targets ?? []).toEqual([]);
    const events = await waitForEvents(scene, name, ['InvalidSpec', 'RestoreFailed']);
    expect(noteOf(events, 'InvalidSpec')).toBe(message);
    expect(noteOf(events, 'RestoreFailed')).toBe(`nothing was restored: ${message}`);
    expect(events.map((event) => event.reason)).not.toContain('JobCreated');
    expect(await restoreJobs(scene, name)).toEqual([]);
  };

  beforeAll(async () => {
    scene = await Scene.create('op-rref');
    await scene.startOperator();
    await scene.applySchedule({ name: 'app', schedule: '0 0 1 1 *', sources: ['app-db', 'uploads'] });
    await scene.applySchedule({ name: 'db', schedule: '0 0 1 1 *', sources: ['app-db'] });
    await scene.createManualRun(BASE, 'app');
    await scene.createManualRun(CORRUPT, 'db');
    expect((await scene.finalRun(BASE)).status?.phase).toBe('Succeeded');
    corrupt = await scene.finalRun(CORRUPT);
    expect(corrupt.status?.phase).toBe('Succeeded');
    // The flip comes after the operator's read-back: flipped before it, the run fails verification
    // and the restore refuses it by name instead of finding the mismatch in its Job.
    corrupt = await scene.verifiedRun(CORRUPT);
    const artifact = corrupt.status!.artifacts![0]!;
    const s3 = adminClient();
    try {
      await flipStoredByte(s3, scene.fixture.backupBucket, artifact.key!, Math.floor(artifact.sizeBytes! / 2));
    } finally {
      s3.destroy();
    }
  });

  afterAll(async () => {
    await scene?.tearDown();
    for (const name of databases) await dropDatabase(name).catch(() => undefined);
  });

  it('refuses a non-empty database without overwritePolicy Clean, and leaves its rows alone', async () => {
    const busy = database('busy');
    await createDatabaseWith(busy, `CREATE TABLE keep (id int PRIMARY KEY, note text); INSERT INTO keep VALUES (1, 'one'), (2, 'two'), (3, 'three');`);
    await createRestore(scene.client, restoreManifest(scene.namespace, 'into-busy', { backupRunRef: { name: BASE } }, [databaseTarget('app-db', busy, { createDatabase: true })]));
    const restore = await finalRestore(scene.client, scene.namespace, 'into-busy');
    await expectTargetFailure(restore, 'app-db', `target database ${where(busy)} is not empty (2 relations); set overwritePolicy to Clean to restore over it`);
    expect(await tablesOf(busy)).toEqual(['keep']);
    expect(await query(busy, 'SELECT id, note FROM keep ORDER BY id')).toEqual([
      { id: 1, note: 'one' },
      { id: 2, note: 'two' },
      { id: 3, note: 'three' },
    ]);
  });

  it('restores over a non-empty database with overwritePolicy Clean, which then equals the backup', async () => {
    const stale = database('stale');
    await seedDatabase(testEnv(), stale);
    await query(
      stale,
      `ALTER TABLE customers ADD COLUMN email text;
       UPDATE customers SET name = 'renamed ' || id, email = id || '@example.com' WHERE id % 3 = 0;
       DELETE FROM invoices WHERE id > 40;
       INSERT INTO diagrams (customer_id, title) SELECT 1, 'after the backup ' || n FROM generate_series(1, 30) AS n;`,
    );
    expect(await fingerprint(stale)).not.toEqual(await fingerprint(scene.fixture.database));
    await createRestore(scene.client, restoreManifest(scene.namespace, 'clean', { backupRunRef: { name: BASE } }, [databaseTarget('app-db', stale, { overwritePolicy: 'Clean' })]));
    const restore = await finalRestore(scene.client, scene.namespace, 'clean');
    expect(restore.status?.phase).toBe('Succeeded');
    expect(restore.status?.targets).toEqual([expect.objectContaining({ source: 'app-db', phase: 'Succeeded', createdTarget: false })]);
    expect(await fingerprint(stale)).toEqual(await fingerprint(scene.fixture.database));
    await waitForEvents(scene, 'clean', ['TargetRestored', 'RestoreSucceeded']);
  });

  it('refuses a bucket that has one of the keys with overwritePolicy Fail, and writes nothing', async () => {
    const bucket = `${scene.namespace}-uploads-busy`;
    const taken = 'uploads/2025/01/uploads-1.json';
    const s3 = adminClient();
    try {
      await createBucket(s3, bucket);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: taken, Body: 'kept as it was' }));
      const before = await listedKeys(s3, bucket);
      expect(before).toEqual([taken]);
      await createRestore(
        scene.client,
        restoreManifest(scene.namespace, 'into-taken', { backupRunRef: { name: BASE } }, [bucketTarget('uploads', bucket, { overwritePolicy: 'Fail' })]),
      );
      const restore = await finalRestore(scene.client, scene.namespace, 'into-taken');
      await expectTargetFailure(
        restore,
        'uploads',
        `1 of the objects to restore already exist in bucket ${bucket} (e.g. "${taken}") and overwritePolicy is Fail; nothing was written; set overwritePolicy to Skip to keep the existing objects or Overwrite to replace them, or restore into another bucket or prefix (prefixRemap)`,
      );
      expect(await listedKeys(s3, bucket)).toEqual(before);
      const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: taken }));
      expect(await body.Body!.transformToString()).toBe('kept as it was');
    } finally {
      s3.destroy();
    }
  });

  it('fails on a stored artifact with one flipped byte with a checksum reason, and drops the database it created', async () => {
    const fresh = database('from_corrupt');
    expect(await databaseExists(fresh)).toBe(false);
    await createRestore(scene.client, restoreManifest(scene.namespace, 'from-corrupt', { backupRunRef: { name: CORRUPT } }, [databaseTarget('app-db', fresh)]));
    const restore = await finalRestore(scene.client, scene.namespace, 'from-corrupt');
    const artifact = corrupt.status!.artifacts![0]!;
    await expectTargetFailure(restore, 'app-db', `checksum mismatch: artifact s3://${scene.fixture.backupBucket}/${artifact.key} does not match its manifest: SHA-256 `);
    expect(restore.status?.targets?.[0]?.message).toContain(
      `instead of ${artifact.sha256!.slice(0, 12)}… (${artifact.sizeBytes} bytes); the stored object is corrupt or was modified; this backup cannot be restored: create a new RestoreRequest that selects another BackupRun`,
    );
    // The runner created the database before it read the artifact, then dropped it again.
    expect(await jobLog(scene, 'from-corrupt-app-db')).toContainEqual(expect.objectContaining({ msg: 'target ready', created: true }));
    expect(await databaseExists(fresh)).toBe(false);
  });

  it('waits for a missing Secret without starting a Job, then restores once the Secret exists', async () => {
    const later = database('later');
    const message = `Secret "late-db-credentials" (spec.targets[0].postgres.connectionSecret) does not exist; create it with the key(s) username, password`;
    await createRestore(
      scene.client,
      restoreManifest(scene.namespace, 'needs-secret', { backupRunRef: { name: BASE } }, [databaseTarget('app-db', later, { connectionSecret: { name: 'late-db-credentials' } })]),
    );
    const waiting = await waitForRestoreState(scene, 'needs-secret', 'to wait for its Secret', (r) => conditionOf(r, 'Ready')?.status === 'False');
    expect(waiting.status?.phase).toBe('Pending');
    expect(conditionOf(waiting, 'Ready')).toMatchObject({ reason: 'ReferenceNotFound', message });
    // Waiting within the grace period is in progress, not failed.
    expect(conditionOf(waiting, 'Reconciling')).toMatchObject({ status: 'True', reason: 'ReferenceNotFound', message });
    expect(conditionOf(waiting, 'Stalled')).toBeUndefined();
    expect(conditionOf(waiting, 'Complete')).toMatchObject({ status: 'False', reason: 'Pending' });
    expect(conditionOf(waiting, 'Complete')?.message).toMatch(/^waiting until .+ for the reference to be fixed$/);
    const events = await waitForEvents(scene, 'needs-secret', ['ReferenceNotFound']);
    expect(noteOf(events, 'ReferenceNotFound')).toBe(message);
    expect(await restoreJobs(scene, 'needs-secret')).toEqual([]);
    expect(await databaseExists(later)).toBe(false);

    await applySecret(scene, 'late-db-credentials', { username: testEnv().postgres.user, password: 'not-checked-by-trust-auth' });
    const restore = await finalRestore(scene.client, scene.namespace, 'needs-secret', 120_000);
    expect(restore.status?.phase).toBe('Succeeded');
    expect(conditionOf(restore, 'Ready')).toMatchObject({ status: 'True', reason: 'Succeeded' });
    expect(conditionOf(restore, 'Reconciling')).toBeUndefined();
    expect(await fingerprint(later)).toEqual(await fingerprint(scene.fixture.database));
    await waitForEvents(scene, 'needs-secret', ['JobCreated', 'TargetRestored', 'RestoreSucceeded']);
  });

  it('refuses at once a target whose source is not in the backup', async () => {
    const bucket = `${scene.namespace}-exports-restored`;
    await createRestore(scene.client, restoreManifest(scene.namespace, 'no-such-source', { backupRunRef: { name: BASE } }, [bucketTarget('exports', bucket)]));
    await expectRefusedAtOnce('no-such-source', `spec.targets[0].source: BackupRun ${BASE} has no source "exports"; its sources are: app-db, uploads`);
    const s3 = adminClient();
    try {
      await expect(listedKeys(s3, bucket)).rejects.toThrow();
    } finally {
      s3.destroy();
    }
  });

  it('refuses at once a target of the other type than its source', async () => {
    const mismatch = database('mismatch');
    await createRestore(scene.client, restoreManifest(scene.namespace, 'bucket-as-db', { backupRunRef: { name: BASE } }, [databaseTarget('uploads', mismatch)]));
    await expectRefusedAtOnce('bucket-as-db', `spec.targets[0]: source "uploads" is a bucket backup; restore it with bucket, not postgres`);
    expect(await databaseExists(mismatch)).toBe(false);
  });
});
