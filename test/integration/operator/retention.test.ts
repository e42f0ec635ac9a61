// Retention prunes exactly the runs its rules do not keep, and their finalizers remove their
// objects from the bucket. The runs are made directly, with their status, as catalog sync makes
// them (marked imported, so they start no Jobs), to avoid waiting for many cron ticks.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { adminS3, listObjects } from '../../support/backup-fixture.ts';
import { testEnv } from '../../support/env.ts';
import { BACKUP_RUNS, Scene, waitFor, type RunObject } from './support.ts';

jest.setTimeout(120_000);

const DAY = 86_400_000;

describe('retention keepLast 2 over four successful runs', () => {
  let scene: Scene;
  const names: string[] = [];

  beforeAll(async () => {
    scene = await Scene.create('op-keep');
    const { client, namespace, fixture } = scene;
    // Never fires during the test: only retention acts.
    const schedule = await scene.applySchedule({ name: 'app', schedule: '0 0 1 1 *', retention: { keepLast: 2 } });
    const s3 = adminS3(testEnv());
    const now = Date.now();
    for (let index = 0; index < 4; index++) {
      const scheduled = new Date(Math.floor((now - (4 - index) * DAY) / 1000) * 1000);
      const name = `app-${scheduled.getTime() / 1000}`;
      names.push(name);
      const prefix = `backups/${namespace}/app/${name}/`;
      await s3.send(new PutObjectCommand({ Bucket: fixture.backupBucket, Key: `${prefix}app-db/database.dump.gz`, Body: `dump ${index}` }));
      await s3.send(new PutObjectCommand({ Bucket: fixture.backupBucket, Key: `${prefix}manifest.json.partial`, Body: '{}' }));
      await client.create<RunObject>(BACKUP_RUNS, {
        apiVersion: 'lifeboat.dev/v1alpha1',
        kind: 'BackupRun',
        metadata: {
          name,
          namespace,
          labels: { 'app.kubernetes.io/managed-by': 'lifeboat', 'lifeboat.dev/schedule': 'app' },
          annotations: { 'lifeboat.dev/scheduled-time': scheduled.toISOString().replace('.000Z', 'Z'), 'lifeboat.dev/imported-from': `${prefix}manifest.json` },
          ownerReferences: [{ apiVersion: 'lifeboat.dev/v1alpha1', kind: 'BackupSchedule', name: 'app', uid: schedule.metadata.uid!, controller: true, blockOwnerDeletion: true }],
          finalizers: ['lifeboat.dev/artifacts'],
        },
        spec: { scheduleRef: { name: 'app' }, deletionPolicy: 'Delete' },
      });
      const at = new Date(scheduled.getTime() + 60_000).toISOString().replace('.000Z', 'Z');
      await client.patchStatus(BACKUP_RUNS, namespace, name, { observedGeneration: 1, phase: 'Succeeded', completionTime: at, snapshotTime: at, sizeBytes: 100, size: '100 B' });
    }
    s3.destroy();
    await scene.startOperator();
  });

  afterAll(() => scene?.tearDown());

  it('deletes the two oldest runs and their objects, and keeps the two newest with theirs', async () => {
    const [oldest, older, newer, newest] = names as [string, string, string, string];
    await waitFor(async () => {
      const left = (await scene.runNames()).sort();
      return left.length === 2 && left.join() === [newer, newest].sort().join();
    }, { what: 'retention to leave the two newest runs', timeoutMs: 60_000, intervalMs: 500 });
    const keys = (await listObjects(testEnv(), scene.fixture.backupBucket, `backups/${scene.namespace}/app/`)).map((object) => object.key);
    const runsWithObjects = [...new Set(keys.map((key) => key.split('/')[3]))].sort();
    expect(runsWithObjects).toEqual([newer, newest].sort());
    expect(runsWithObjects).not.toContain(oldest);
    expect(runsWithObjects).not.toContain(older);
  });
});
