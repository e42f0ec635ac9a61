// A DRDrillRun pass that finds nothing changed writes nothing: no status patch, no finalizer
// patch, no Job create, no event. The run is driven by the controller itself against the
// in-memory API server from the moment its backup is chosen; the test plays the Job controller.
import { afterEach, describe, expect, it } from '@jest/globals';
import { Labels } from '../../core/index.ts';
import { scheduleSpec, storage } from '../../core/testing/builders.ts';
import { aDrillRun, drillSecrets, ok, RUN } from '../../core/testing/drill-run-builders.ts';
import { SECRETS } from '../../kube/resource-type.ts';
import type { KubeObject } from '../../kube/types.ts';
import { memoryCluster, reconcileUntilQuiet, type MemoryCluster } from '../../runtime/testing/memory-cluster.ts';
import { BACKUP_SCHEDULES, DR_DRILL_RUNS } from '../resource-types.ts';
import { drillRunConfig, drillRunInformers, reconcileDrillRun } from './controller.ts';
import type { StoredDrillRun } from './observe.ts';
import { playJobController, writesOfOneMorePass } from '../testing/job-controller.ts';

const NAMESPACE = 'prod';

let cluster: MemoryCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function drillCluster() {
  cluster = memoryCluster({ now: new Date('2025-01-01T09:00:05Z') });
  const { client, context } = cluster;
  const informers = drillRunInformers(context);
  const config = drillRunConfig(context);
  client.set(BACKUP_SCHEDULES, { metadata: { name: 'app', namespace: NAMESPACE, uid: 'uid-app' }, spec: scheduleSpec({ storage }) } as KubeObject);
  for (const secret of drillSecrets) {
    client.set(SECRETS, { metadata: { name: secret.name, namespace: NAMESPACE }, data: Object.fromEntries(secret.keys.map((key) => [key, btoa('x')])) } as KubeObject);
  }
  // The backup is chosen already (listing storage is the one step that needs S3).
  const run = aDrillRun({
    finalizers: [],
    status: {
      result: 'Running',
      startTime: '2025-01-01T09:00:00Z',
      backup: { run: 'app-1', manifestKey: 'prod/prod/app/app-1/manifest.json', snapshotTime: '2025-01-01T02:00:00Z', sizeBytes: 3000, sources: [{ name: 'db', kind: 'Postgres' }] },
      steps: [{ name: 'SelectBackup', phase: 'Succeeded', startTime: '2025-01-01T09:00:00Z', completionTime: '2025-01-01T09:00:02Z' }],
    },
  });
  client.set(DR_DRILL_RUNS, run as StoredDrillRun);
  await cluster.sync();
  const request = cluster.request(NAMESPACE, RUN);
  return { ...cluster, reconcile: () => reconcileDrillRun(context, informers, config, request) };
}

describe('DRDrillRun reconcile with nothing changed', () => {
  it('writes nothing while a step runs, nor after the step moved on', async () => {
    const drill = await drillCluster();
    const started = await reconcileUntilQuiet(drill.client, drill.reconcile);
    expect(started.writes.map((write) => `${write.method} ${write.type.kind} ${write.name}`)).toEqual(
      expect.arrayContaining([`mergePatch DRDrillRun ${RUN}`, `create Job ${RUN}-provision-db`, `patchStatus DRDrillRun ${RUN}`]),
    );
    expect(await writesOfOneMorePass(drill, drill.reconcile)).toEqual([]);

    playJobController(drill, NAMESPACE, Labels.drillRun, RUN).succeeded(`${RUN}-provision-db`, ok('scratch-create'), '2025-01-01T09:00:06Z', '2025-01-01T09:00:09Z');
    await drill.clock.advance(5_000);
    const restoring = await reconcileUntilQuiet(drill.client, drill.reconcile);
    expect(restoring.writes.map((write) => `${write.method} ${write.type.kind} ${write.name}`)).toContain(`create Job ${RUN}-restore-db`);
    expect(drill.client.peek<StoredDrillRun>(DR_DRILL_RUNS, NAMESPACE, RUN)?.status?.steps?.find((step) => step.name === 'RestoreDatabase')?.phase).toBe('Running');
    expect(await writesOfOneMorePass(drill, drill.reconcile)).toEqual([]);
    await drill.clock.advance(60_000);
    expect(await writesOfOneMorePass(drill, drill.reconcile)).toEqual([]);
  });
});
