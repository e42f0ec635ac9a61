// A restore through the operator, end to end: a schedule backs up the awkward-schema database
// and the buckets, a RestoreRequest restores the database into a new database and a bucket into
// a new bucket under a remapped prefix, and what comes back is what went in.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { ok } from '../api/kubectl.ts';
import { fingerprint } from '../runner/postgres-compare.ts';
import { loadAwkwardSchema } from '../runner/postgres-compare.ts';
import { adminClient, listedKeys, objectFacts } from '../runner/bucket-support.ts';
import { makeKubectl, Scene } from './support.ts';
import { bucketTarget, conditionOf, createRestore, databaseTarget, finalRestore, restoreManifest } from './restore-support.ts';

jest.setTimeout(300_000);

describe('a RestoreRequest of a BackupRun', () => {
  const kubectl = makeKubectl();
  let scene: Scene;
  let run: string;

  beforeAll(async () => {
    scene = await Scene.create('op-restore');
    await loadAwkwardSchema(scene.fixture.database);
    await scene.startOperator();
    await scene.applySchedule({ name: 'app', schedule: '0 0 1 1 *', sources: ['app-db', 'uploads'] });
    run = 'app-now';
    await scene.createManualRun(run, 'app');
    expect((await scene.finalRun(run)).status?.phase).toBe('Succeeded');
  });

  afterAll(() => scene?.tearDown());

  it('restores the database into a new one and the bucket under a remapped prefix, and both match what was backed up', async () => {
    const database = `${scene.fixture.database}_restored`;
    const bucket = `${scene.namespace}-uploads-restored`;
    await createRestore(
      scene.client,
      restoreManifest(scene.namespace, 'undo', { backupRunRef: { name: run } }, [
        databaseTarget('app-db', database),
        bucketTarget('uploads', bucket, { prefixRemap: { from: 'uploads/', to: 'restored/uploads/' } }),
      ]),
    );
    const restore = await finalRestore(scene.client, scene.namespace, 'undo');
    expect(restore.status?.phase).toBe('Succeeded');
    expect(conditionOf(restore, 'Complete')).toMatchObject({ status: 'True', reason: 'Succeeded' });
    expect(restore.status?.backup).toMatchObject({ name: run, schedule: 'app', manifestKey: `backups/${scene.namespace}/app/${run}/manifest.json` });
    expect(restore.status?.targets).toEqual([
      expect.objectContaining({ source: 'app-db', phase: 'Succeeded', createdTarget: true, jobName: 'undo-app-db' }),
      expect.objectContaining({ source: 'uploads', phase: 'Succeeded', createdTarget: true, objectsWritten: 5, objectsSkipped: 0 }),
    ]);
    for (const target of restore.status?.targets ?? []) expect(target.sizeBytes).toBeGreaterThan(0);

    expect(await fingerprint(database)).toEqual(await fingerprint(scene.fixture.database));

    const s3 = adminClient();
    try {
      const original = await listedKeys(s3, scene.fixture.buckets.uploads);
      const restored = await listedKeys(s3, bucket);
      expect(restored).toEqual(original.map((key) => key.replace(/^uploads\//, 'restored/uploads/')));
      const before = await objectFacts(s3, scene.fixture.buckets.uploads, original);
      const after = await objectFacts(s3, bucket, restored);
      expect([...after.values()]).toEqual([...before.values()]);
    } finally {
      s3.destroy();
    }
  });

  it('shows the restore in kubectl get and its events', async () => {
    const table = await ok(kubectl, ['get', 'restorerequests', '-n', scene.namespace, 'undo']);
    expect(table.split('\n')[0]).toMatch(/NAME\s+BACKUP\s+SNAPSHOT\s+PHASE\s+DURATION\s+AGE/);
    expect(table).toContain(run);
    expect(table).toContain('Succeeded');
    expect(await scene.eventReasons('undo')).toEqual(expect.arrayContaining(['BackupSelected', 'JobCreated', 'TargetRestored', 'RestoreSucceeded']));
  });
});
