// A BackupSchedule pass that finds nothing changed writes nothing: no status patch, no run
// created or pruned, no event. Against the in-memory API server, with the informers fed from it.
import { afterEach, describe, expect, it } from '@jest/globals';
import { aBackupRun, scheduleSpec } from '../../core/testing/builders.ts';
import type { KubeObject } from '../../kube/types.ts';
import { memoryCluster, reconcileUntilQuiet, type MemoryCluster } from '../../runtime/testing/memory-cluster.ts';
import { backupInformers, type StoredRun, type StoredSchedule } from '../informers.ts';
import { BACKUP_RUNS, BACKUP_SCHEDULES } from '../resource-types.ts';
import { reconcileSchedule } from './controller.ts';

const NAMESPACE = 'prod';

let cluster: MemoryCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe('BackupSchedule reconcile with nothing changed', () => {
  it('writes nothing between firings', async () => {
    // Nightly at 02:00; it is noon, the 02:00 run has succeeded, the next firing is 14 hours off.
    cluster = memoryCluster({ now: new Date('2025-01-01T12:00:00Z') });
    const { client, context, clock } = cluster;
    const informers = backupInformers(context.informers);
    client.set(BACKUP_SCHEDULES, {
      metadata: { name: 'app', namespace: NAMESPACE, uid: 'uid-app', creationTimestamp: '2025-01-01T00:00:00Z' },
      spec: scheduleSpec({ schedule: '0 2 * * *' }),
      // A status written before: the catalog sync (S3) of a first pass is behind it.
      status: { observedGeneration: 1 },
    } as KubeObject);
    client.set(
      BACKUP_RUNS,
      aBackupRun({
        name: 'app-1735696800',
        annotations: { 'lifeboat.dev/scheduled-time': '2025-01-01T02:00:00Z' },
        status: {
          phase: 'Succeeded',
          startTime: '2025-01-01T02:00:05Z',
          snapshotTime: '2025-01-01T02:00:10Z',
          completionTime: '2025-01-01T02:01:50Z',
          sizeBytes: 2048,
          conditions: [{ type: 'Verified', status: 'True', reason: 'ChecksumsMatch', message: 'ok', lastTransitionTime: '2025-01-01T02:02:30Z' }],
        },
      }) as StoredRun,
    );
    await cluster.sync();
    const request = cluster.request(NAMESPACE, 'app');
    const reconcile = () => reconcileSchedule(context, informers, request);

    const settled = await reconcileUntilQuiet(client, reconcile);
    expect(settled.writes.map((write) => `${write.method} ${write.type.kind}`)).toContain('patchStatus BackupSchedule');
    expect(client.peek<StoredSchedule>(BACKUP_SCHEDULES, NAMESPACE, 'app')?.status?.lastSuccessfulRun).toMatchObject({ name: 'app-1735696800' });
    expect(settled.result.requeueAfterMs).toBeGreaterThan(0);

    const before = client.writes.length;
    await reconcile();
    expect(client.writes.slice(before)).toEqual([]);
    // Later the same day, still before the next firing.
    await clock.advance(6 * 3_600_000);
    await reconcile();
    expect(client.writes.slice(before)).toEqual([]);
  });
});
