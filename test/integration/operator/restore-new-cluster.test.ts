// The documented "new cluster" path: the namespace with the schedule, its runs and every Job is
// gone; it is recreated with the same name and only its Secrets, the schedule is applied again
// with suspend: true, catalog sync brings the run back from the bucket, and a RestoreRequest
// that names only the schedule restores from it into new targets, matching what was backed up.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { JOBS, SECRETS } from '../../../src/kube/resource-type.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import { secretManifests } from '../../support/backup-fixture.ts';
import { testEnv } from '../../support/env.ts';
import { adminClient, listedKeys, objectFacts } from '../runner/bucket-support.ts';
import { fingerprint } from '../runner/postgres-compare.ts';
import { bucketTarget, conditionOf, createRestore, databaseTarget, finalRestore, restoreManifest } from './restore-support.ts';
import { BACKUP_SCHEDULES, createNamespace, NAMESPACES, Scene, waitFor, type RunObject } from './support.ts';

jest.setTimeout(300_000);

describe('a restore into a namespace that was deleted and recreated', () => {
  let scene: Scene;
  let original: RunObject;

  beforeAll(async () => {
    scene = await Scene.create('op-new-cluster');
    await scene.startOperator();
    await scene.applySchedule({ name: 'app', schedule: '0 0 1 1 *', sources: ['app-db', 'uploads'] });
    // Retain: deleting the namespace must not delete the backup (a lost cluster does not either).
    await scene.createManualRun('app-now', 'app', { deletionPolicy: 'Retain' });
    original = await scene.finalRun('app-now');
    expect(original.status?.phase).toBe('Succeeded');
  });

  afterAll(() => scene?.tearDown());

  it('recreates the run from the bucket and restores the newest backup of the schedule into new targets', async () => {
    const { client, namespace, fixture } = scene;
    // The cluster loses everything: the operator, the namespace with its schedule, runs and Jobs.
    await scene.stopOperators();
    await client.delete(NAMESPACES, undefined, namespace);
    await waitFor(async () => !(await client.find(NAMESPACES, undefined, namespace)), { what: 'the namespace to be gone', timeoutMs: 120_000, intervalMs: 1_000 });

    // Rebuilt: the same namespace and Secrets, a new operator, the schedule suspended.
    await createNamespace(client, 'unused', namespace);
    for (const secret of secretManifests(testEnv(), fixture)) await client.apply(SECRETS, secret as KubeObject, { force: true });
    await scene.startOperator();
    await scene.applySchedule({ name: 'app', schedule: '0 0 1 1 *', sources: ['app-db', 'uploads'], suspend: true });

    const imported = await waitFor(async () => {
      const run = await scene.run('app-now');
      return run?.status?.phase ? run : undefined;
    }, { what: 'catalog sync to recreate the run', timeoutMs: 60_000, intervalMs: 500 });
    expect(imported.status?.phase).toBe('Succeeded');
    expect(imported.metadata.annotations?.['lifeboat.dev/imported-from']).toBe(original.status?.manifestKey);

    const database = `${fixture.database}_rebuilt`;
    const bucket = `${namespace}-uploads-rebuilt`;
    await createRestore(client, restoreManifest(namespace, 'rebuild', { scheduleRef: { name: 'app' } }, [databaseTarget('app-db', database), bucketTarget('uploads', bucket)]));
    const restore = await finalRestore(client, namespace, 'rebuild');
    expect(restore.status?.phase).toBe('Succeeded');
    expect(conditionOf(restore, 'Complete')).toMatchObject({ status: 'True', reason: 'Succeeded' });
    expect(restore.status?.backup).toMatchObject({ name: 'app-now', schedule: 'app', manifestKey: original.status?.manifestKey, snapshotTime: original.status?.snapshotTime });
    expect(restore.status?.targets).toEqual([
      expect.objectContaining({ source: 'app-db', phase: 'Succeeded', createdTarget: true, jobName: 'rebuild-app-db' }),
      expect.objectContaining({ source: 'uploads', phase: 'Succeeded', createdTarget: true, jobName: 'rebuild-uploads', objectsWritten: 5, objectsSkipped: 0 }),
    ]);

    // The data: the source database and bucket were never touched, so they are what was backed up.
    expect(await fingerprint(database)).toEqual(await fingerprint(fixture.database));
    const s3 = adminClient();
    try {
      const backedUp = await listedKeys(s3, fixture.buckets.uploads);
      const restored = await listedKeys(s3, bucket);
      expect(restored).toEqual(backedUp);
      expect([...(await objectFacts(s3, bucket, restored)).values()]).toEqual([...(await objectFacts(s3, fixture.buckets.uploads, backedUp)).values()]);
    } finally {
      s3.destroy();
    }

    // Suspended, so nothing was backed up in the new namespace: its only run is the imported
    // one, and its only Jobs are the restore's.
    expect(await scene.runNames()).toEqual(['app-now']);
    const jobs = (await client.list<KubeObject>(JOBS, { namespace })).items;
    expect(jobs.map((job) => job.metadata.name).sort()).toEqual(['rebuild-app-db', 'rebuild-uploads']);
    const schedule = await client.find<KubeObject & { status?: { conditions?: { type: string; reason?: string }[] } }>(BACKUP_SCHEDULES, namespace, 'app');
    expect(schedule?.status?.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ reason: 'Suspended' })]));
    expect(await scene.eventReasons('app', ['CatalogSynced'])).toContain('CatalogSynced');
    expect(await scene.eventReasons('rebuild', ['BackupSelected', 'JobCreated', 'TargetRestored', 'RestoreSucceeded'])).toEqual(expect.arrayContaining(['BackupSelected', 'JobCreated', 'TargetRestored', 'RestoreSucceeded']));
  });
});
