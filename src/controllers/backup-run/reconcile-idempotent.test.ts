// A BackupRun pass that finds nothing changed writes nothing: no status patch, no finalizer
// patch, no Job create, no event. The run is driven through its life by the controller itself
// against the in-memory API server; only the Job controller's part (Job status, the runner
// pod's termination message) is played by the test.
import { afterEach, describe, expect, it } from '@jest/globals';
import { Labels } from '../../core/index.ts';
import { aBackupRun, allSecrets, postgresResult, scheduleSpec } from '../../core/testing/builders.ts';
import { SECRETS } from '../../kube/resource-type.ts';
import type { KubeObject } from '../../kube/types.ts';
import { memoryCluster, reconcileUntilQuiet, type MemoryCluster } from '../../runtime/testing/memory-cluster.ts';
import { playJobController, writesOfOneMorePass } from '../testing/job-controller.ts';
import { backupInformers, type StoredRun } from '../informers.ts';
import { backupMetrics } from '../metrics.ts';
import { BACKUP_RUNS, BACKUP_SCHEDULES } from '../resource-types.ts';
import { backupRunConfig, reconcileRun } from './controller.ts';

const RUN = 'app-1735696800';
const NAMESPACE = 'prod';

let cluster: MemoryCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function runCluster() {
  cluster = memoryCluster({ now: new Date('2025-01-01T02:00:02Z') });
  const { client, context } = cluster;
  const informers = backupInformers(context.informers);
  const metrics = backupMetrics(context.metrics.registry, context.metrics.prefix, informers);
  const config = backupRunConfig(context);
  client.set(BACKUP_SCHEDULES, { metadata: { name: 'app', namespace: NAMESPACE, uid: 'uid-app' }, spec: scheduleSpec() } as KubeObject);
  for (const secret of allSecrets) {
    client.set(SECRETS, { metadata: { name: secret.name, namespace: NAMESPACE }, data: Object.fromEntries(secret.keys.map((key) => [key, btoa('x')])) } as KubeObject);
  }
  client.set(BACKUP_RUNS, aBackupRun({ name: RUN, finalizers: [] }) as StoredRun);
  await cluster.sync();
  const request = cluster.request(NAMESPACE, RUN);
  const reconcile = () => reconcileRun(context, informers, metrics, config, request);
  return { ...cluster, reconcile };
}

describe('BackupRun reconcile with nothing changed', () => {
  it('writes nothing while its Job runs', async () => {
    const run = await runCluster();
    const started = await reconcileUntilQuiet(run.client, run.reconcile);
    expect(started.writes.map((write) => `${write.method} ${write.type.kind}`)).toEqual(
      expect.arrayContaining(['mergePatch BackupRun', 'create Job', 'patchStatus BackupRun']),
    );
    playJobController(run, NAMESPACE, Labels.backupRun, RUN).running(`${RUN}-db`, '2025-01-01T02:00:05Z');
    await run.clock.advance(5_000);
    await reconcileUntilQuiet(run.client, run.reconcile);
    expect(run.client.peek<StoredRun>(BACKUP_RUNS, NAMESPACE, RUN)?.status?.phase).toBe('Running');

    expect(await writesOfOneMorePass(run, run.reconcile)).toEqual([]);
    // The requeue a running run asks for comes later; it must find nothing to write either.
    await run.clock.advance(60_000);
    expect(await writesOfOneMorePass(run, run.reconcile)).toEqual([]);
  });

  it('writes nothing once it has Succeeded and is Verified', async () => {
    const run = await runCluster();
    const jobs = playJobController(run, NAMESPACE, Labels.backupRun, RUN);
    await reconcileUntilQuiet(run.client, run.reconcile);
    jobs.succeeded(`${RUN}-db`, postgresResult(), '2025-01-01T02:00:05Z', '2025-01-01T02:01:35Z');
    await run.clock.advance(95_000);
    await reconcileUntilQuiet(run.client, run.reconcile);
    jobs.succeeded(`${RUN}--finalize`, { ok: true, subcommand: 'finalize-run', summary: { manifestKey: `prod/prod/app/${RUN}/manifest.json` } }, '2025-01-01T02:01:40Z', '2025-01-01T02:01:50Z');
    await run.clock.advance(20_000);
    await reconcileUntilQuiet(run.client, run.reconcile);
    jobs.succeeded(`${RUN}--verify`, { ok: true, subcommand: 'verify', summary: {} }, '2025-01-01T02:02:00Z', '2025-01-01T02:02:30Z');
    await run.clock.advance(60_000);
    await reconcileUntilQuiet(run.client, run.reconcile);

    const status = run.client.peek<StoredRun>(BACKUP_RUNS, NAMESPACE, RUN)?.status;
    expect(status?.phase).toBe('Succeeded');
    expect(status?.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Verified', status: 'True' })]));

    expect(await writesOfOneMorePass(run, run.reconcile)).toEqual([]);
    await run.clock.advance(24 * 3_600_000);
    expect(await writesOfOneMorePass(run, run.reconcile)).toEqual([]);
  });
});
