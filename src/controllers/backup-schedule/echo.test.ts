// The watch event that brings back a schedule's own status write (its "echo") queues no pass when
// the writing pass showed a pass over that version would do nothing; everything else still does:
// a run's change that arrives before the echo, the echo of a write that leaves work, a due cron
// instant. The schedule's watch is held to play the API server's lag (settled-versions.ts).
import { afterEach, describe, expect, it } from '@jest/globals';
import type { BackupRunStatus } from '../../api/index.ts';
import { aBackupRun, scheduleSpec } from '../../core/testing/builders.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { Controller } from '../../runtime/controller.ts';
import { operatorWithHeldWatches, type OperatorWithHeldWatches } from '../testing/operator-with-held-watches.ts';
import { backupInformers, type StoredRun, type StoredSchedule } from '../informers.ts';
import { BACKUP_RUNS, BACKUP_SCHEDULES } from '../resource-types.ts';
import { backupScheduleController } from './controller.ts';

const NAMESPACE = 'prod';
const KIND = 'BackupSchedule';
/** The run of the 12:00 cron instant, and that of 12:01. */
const NOON = 'app-1735732800';
const NEXT = 'app-1735732860';

let op: OperatorWithHeldWatches | undefined;
let controller: Controller<KubeObject> | undefined;
afterEach(async () => {
  await controller?.stop(0);
  await op?.stop();
  op = undefined;
  controller = undefined;
});

function noonRun(status: BackupRunStatus): StoredRun {
  return aBackupRun({ name: NOON, created: '2025-01-01T12:00:00Z', annotations: { 'lifeboat.dev/scheduled-time': '2025-01-01T12:00:00Z' }, status }) as StoredRun;
}

function succeeded(sizeBytes: number): BackupRunStatus {
  return { phase: 'Succeeded', startTime: '2025-01-01T12:00:05Z', snapshotTime: '2025-01-01T12:00:10Z', completionTime: '2025-01-01T12:00:20Z', sizeBytes };
}

/** A schedule firing every minute, its 12:00 run in `status`, the controller started and quiet at `now`. */
async function scheduleAt(now: string, status: BackupRunStatus) {
  op = operatorWithHeldWatches({ now: new Date(now) });
  const { client } = op;
  client.set(BACKUP_SCHEDULES, {
    metadata: { name: 'app', namespace: NAMESPACE, uid: 'uid-app', creationTimestamp: '2025-01-01T11:00:00Z' },
    spec: scheduleSpec({ schedule: '* * * * *' }),
    // A status written before: a first pass would look for the catalog in the bucket.
    status: { observedGeneration: 1, lastScheduleTime: '2025-01-01T12:00:00Z' },
  } as KubeObject);
  client.set(BACKUP_RUNS, noonRun(status));
  controller = backupScheduleController(op.context) as Controller<KubeObject>;
  const informers = backupInformers(op.context.informers);
  await op.sync();
  controller.start();
  await op.clock.advance(0);
  return { op, informers, schedule: () => client.peek<StoredSchedule>(BACKUP_SCHEDULES, NAMESPACE, 'app') };
}

describe('BackupSchedule echo of its own status write', () => {
  it('queues no pass when a pass over the written version would do nothing', async () => {
    const { op, informers, schedule } = await scheduleAt('2025-01-01T12:00:30Z', { phase: 'Running', startTime: '2025-01-01T12:00:05Z' });
    const before = op.passes(KIND);

    op.hold(BACKUP_SCHEDULES);
    op.client.set(BACKUP_RUNS, noonRun(succeeded(1000)));
    await op.clock.advance(0);
    expect(op.passes(KIND)).toBe(before + 1);
    expect(schedule()?.status?.lastSuccessfulRun?.name).toBe(NOON);

    await op.release(BACKUP_SCHEDULES);
    expect(informers.schedules.get(NAMESPACE, 'app')?.metadata.resourceVersion).toBe(schedule()?.metadata.resourceVersion);
    expect(op.passes(KIND)).toBe(before + 1);
  });

  it('still reads a change of a run that arrives between the write and its echo', async () => {
    const { op, schedule } = await scheduleAt('2025-01-01T12:00:30Z', { phase: 'Running', startTime: '2025-01-01T12:00:05Z' });
    const before = op.passes(KIND);

    op.hold(BACKUP_SCHEDULES);
    op.client.set(BACKUP_RUNS, noonRun(succeeded(1000)));
    await op.clock.advance(0);
    expect(schedule()?.status?.totalSizeBytes).toBe(1000);
    // Its pass finds the cache behind the write and is skipped; the echo's pass must read it.
    op.client.set(BACKUP_RUNS, noonRun(succeeded(3000)));
    await op.clock.advance(0);
    expect(op.passes(KIND)).toBe(before + 2);
    expect(schedule()?.status?.totalSizeBytes).toBe(1000);

    await op.release(BACKUP_SCHEDULES);
    expect(op.passes(KIND)).toBeGreaterThan(before + 2);
    expect(schedule()?.status?.totalSizeBytes).toBe(3000);
  });

  it('queues a pass for the echo of a write whose decision over the written version still has work', async () => {
    const { op } = await scheduleAt('2025-01-01T12:00:30Z', succeeded(1000));
    const before = op.passes(KIND);

    // The cron instant's pass creates the 12:01 run; decided again over the same runs (which do
    // not show it yet), the written status still differs from what a pass would write.
    op.hold(BACKUP_SCHEDULES);
    op.hold(BACKUP_RUNS);
    await op.clock.advance(30_000);
    expect(op.client.peek(BACKUP_RUNS, NAMESPACE, NEXT)).toBeDefined();
    expect(op.passes(KIND)).toBe(before + 1);

    await op.release(BACKUP_SCHEDULES);
    expect(op.passes(KIND)).toBeGreaterThan(before + 1);
    await op.release(BACKUP_RUNS);
  });

  it('fires at the cron instant after its echo was dropped', async () => {
    const { op } = await scheduleAt('2025-01-01T12:00:30Z', { phase: 'Running', startTime: '2025-01-01T12:00:05Z' });
    op.hold(BACKUP_SCHEDULES);
    op.client.set(BACKUP_RUNS, noonRun(succeeded(1000)));
    await op.clock.advance(0);
    const before = op.passes(KIND);
    await op.release(BACKUP_SCHEDULES);
    expect(op.passes(KIND)).toBe(before);

    await op.clock.advance(30_000);
    expect(op.client.peek(BACKUP_RUNS, NAMESPACE, NEXT)).toBeDefined();
  });

  it('fires at the cron instant when it falls between the write and its echo', async () => {
    const { op } = await scheduleAt('2025-01-01T12:00:59.900Z', { phase: 'Running', startTime: '2025-01-01T12:00:05Z' });
    op.hold(BACKUP_SCHEDULES);
    op.client.set(BACKUP_RUNS, noonRun(succeeded(1000)));
    await op.clock.advance(0);
    // Due 100 ms later, its pass finds the cache behind the write: skipped, asking for nothing.
    await op.clock.advance(100);
    expect(op.client.peek(BACKUP_RUNS, NAMESPACE, NEXT)).toBeUndefined();

    await op.release(BACKUP_SCHEDULES);
    expect(op.client.peek(BACKUP_RUNS, NAMESPACE, NEXT)).toBeDefined();
  });
});
