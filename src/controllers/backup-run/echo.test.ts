// The watch event that brings back a run's own write (its "echo") queues no pass when the writing
// pass showed a pass over that version would do nothing; everything else still does: a Job's
// change that arrives before the echo, the echo of a write that leaves work, a due recheck. The
// runs' watch is held to play the API server's lag (settled-versions.ts).
import { afterEach, describe, expect, it } from '@jest/globals';
import { Labels } from '../../core/index.ts';
import { aBackupRun, allSecrets, postgresResult, scheduleSpec } from '../../core/testing/builders.ts';
import { JOBS, SECRETS } from '../../kube/resource-type.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { Controller } from '../../runtime/controller.ts';
import { playJobController } from '../testing/job-controller.ts';
import { operatorWithHeldWatches, type OperatorWithHeldWatches } from '../testing/operator-with-held-watches.ts';
import type { StoredRun } from '../informers.ts';
import { BACKUP_RUNS, BACKUP_SCHEDULES } from '../resource-types.ts';
import { backupRunController } from './controller.ts';

const RUN = 'app-1735696800';
const NAMESPACE = 'prod';
const KIND = 'BackupRun';

let op: OperatorWithHeldWatches | undefined;
let controller: Controller<KubeObject> | undefined;
afterEach(async () => {
  await controller?.stop(0);
  await op?.stop();
  op = undefined;
  controller = undefined;
});

/** The run of the 02:00 instant, its Secrets, its schedule unless `withSchedule` is false; the controller started. */
async function runStarted({ withSchedule = true, holdRunsFirst = false } = {}) {
  op = operatorWithHeldWatches({ now: new Date('2025-01-01T02:00:02Z') });
  const { client } = op;
  if (withSchedule) client.set(BACKUP_SCHEDULES, { metadata: { name: 'app', namespace: NAMESPACE, uid: 'uid-app' }, spec: scheduleSpec() } as KubeObject);
  for (const secret of allSecrets) {
    client.set(SECRETS, { metadata: { name: secret.name, namespace: NAMESPACE }, data: Object.fromEntries(secret.keys.map((key) => [key, btoa('x')])) } as KubeObject);
  }
  // Without the schedule, a run that takes its sources and storage from it waits for it.
  client.set(BACKUP_RUNS, aBackupRun({ name: RUN, spec: withSchedule ? undefined : { scheduleRef: { name: 'app' } } }) as StoredRun);
  controller = backupRunController(op.context) as Controller<KubeObject>;
  await op.sync();
  if (holdRunsFirst) op.hold(BACKUP_RUNS);
  controller.start();
  await op.clock.advance(0);
  return { op, jobs: playJobController(op, NAMESPACE, Labels.backupRun, RUN), run: () => client.peek<StoredRun>(BACKUP_RUNS, NAMESPACE, RUN) };
}

describe('BackupRun echo of its own write', () => {
  it('queues no pass when a pass over the written version would do nothing', async () => {
    const { op, jobs, run } = await runStarted();
    expect(op.client.peek(JOBS, NAMESPACE, `${RUN}-db`)).toBeDefined();
    op.hold(BACKUP_RUNS);
    jobs.running(`${RUN}-db`, '2025-01-01T02:00:05Z');
    await op.clock.advance(0);
    expect(run()?.status?.phase).toBe('Running');
    const before = op.passes(KIND);

    await op.release(BACKUP_RUNS);
    expect(op.passes(KIND)).toBe(before);
  });

  it('still reads a change of its Job that arrives between the write and its echo', async () => {
    const { op, jobs, run } = await runStarted();
    op.hold(BACKUP_RUNS);
    jobs.running(`${RUN}-db`, '2025-01-01T02:00:05Z');
    await op.clock.advance(0);
    expect(run()?.status?.phase).toBe('Running');
    // Its pass finds the cache behind the write and is skipped; the echo's pass must read it.
    jobs.succeeded(`${RUN}-db`, postgresResult(), '2025-01-01T02:00:05Z', '2025-01-01T02:01:35Z');
    await op.clock.advance(0);
    expect(op.client.peek(JOBS, NAMESPACE, `${RUN}--finalize`)).toBeUndefined();

    await op.release(BACKUP_RUNS);
    expect(op.client.peek(JOBS, NAMESPACE, `${RUN}--finalize`)).toBeDefined();
    expect(run()?.status?.artifacts?.[0]?.phase).toBe('Succeeded');
  });

  it('queues a pass for the echo of a write whose decision over the written version still has work', async () => {
    const { op, jobs } = await runStarted();
    // The pass that sees the backup Job succeed creates the finalize Job; decided again over the
    // same Jobs (which do not show it yet), it would create it again.
    op.hold(BACKUP_RUNS);
    jobs.succeeded(`${RUN}-db`, postgresResult(), '2025-01-01T02:00:05Z', '2025-01-01T02:01:35Z');
    op.hold(JOBS);
    await op.clock.advance(0);
    expect(op.client.peek(JOBS, NAMESPACE, `${RUN}--finalize`)).toBeDefined();
    const before = op.passes(KIND);

    await op.release(BACKUP_RUNS);
    expect(op.passes(KIND)).toBeGreaterThan(before);
    await op.release(JOBS);
  });

  it('rechecks a run waiting for its schedule after its echo was dropped, and fails it when the grace runs out', async () => {
    const { op, run } = await runStarted({ withSchedule: false, holdRunsFirst: true });
    expect(run()?.status?.phase).toBe('Pending');
    const before = op.passes(KIND);
    await op.release(BACKUP_RUNS);
    expect(op.passes(KIND)).toBe(before);

    await op.clock.advance(15_000);
    expect(op.passes(KIND)).toBeGreaterThan(before);
    await op.clock.advance(10 * 60_000);
    expect(run()?.status?.phase).toBe('Failed');
  });
});
