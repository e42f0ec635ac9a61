// A RestoreRequest pass that finds nothing changed writes nothing: no status patch, no
// finalizer patch, no Job create, no event. The restore is driven by the controller itself
// against the in-memory API server; the test plays the Job controller (Job status, the runner
// pod's termination message).
import { afterEach, describe, expect, it } from '@jest/globals';
import { Labels } from '../../core/index.ts';
import { allSecrets } from '../../core/testing/builders.ts';
import { aRestore, postgresRestored, succeededAppBackup } from '../../core/testing/restore-builders.ts';
import { SECRETS } from '../../kube/resource-type.ts';
import type { KubeObject } from '../../kube/types.ts';
import { memoryCluster, reconcileUntilQuiet, type MemoryCluster } from '../../runtime/testing/memory-cluster.ts';
import type { StoredRun } from '../informers.ts';
import { BACKUP_RUNS, RESTORE_REQUESTS } from '../resource-types.ts';
import { reconcileRestore, restoreConfig, restoreInformers } from './controller.ts';
import { restoreMetrics } from './metrics.ts';
import { playJobController, writesOfOneMorePass } from '../testing/job-controller.ts';
import type { StoredRestore } from './observe.ts';

const NAMESPACE = 'prod';
const JOB = 'undo-db';

let cluster: MemoryCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function restoreCluster() {
  cluster = memoryCluster({ now: new Date('2025-01-02T10:00:05Z') });
  const { client, context } = cluster;
  const informers = restoreInformers(context);
  const metrics = restoreMetrics(context.metrics.registry, context.metrics.prefix, informers);
  const config = restoreConfig(context);
  for (const secret of allSecrets) {
    client.set(SECRETS, { metadata: { name: secret.name, namespace: NAMESPACE }, data: Object.fromEntries(secret.keys.map((key) => [key, btoa('x')])) } as KubeObject);
  }
  const backup = succeededAppBackup();
  client.set(BACKUP_RUNS, backup as StoredRun);
  const restore = aRestore({ finalizers: [], spec: { backup: { backupRunRef: { name: 'app-1' } }, targets: [{ source: 'db', postgres: { host: 'db-restore', database: 'app_restored', connectionSecret: { name: 'pg' } } }] } });
  client.set(RESTORE_REQUESTS, restore as StoredRestore);
  await cluster.sync();
  const request = cluster.request(NAMESPACE, 'undo');
  return { ...cluster, reconcile: () => reconcileRestore(context, informers, metrics, config, request) };
}

describe('RestoreRequest reconcile with nothing changed', () => {
  it('writes nothing while its Job runs, nor once it has Succeeded and let go of its finalizer', async () => {
    const restore = await restoreCluster();
    const started = await reconcileUntilQuiet(restore.client, restore.reconcile);
    expect(started.writes.map((write) => `${write.method} ${write.type.kind}`)).toEqual(expect.arrayContaining(['mergePatch RestoreRequest', 'create Job', 'patchStatus RestoreRequest']));
    expect(await writesOfOneMorePass(restore, restore.reconcile)).toEqual([]);

    playJobController(restore, NAMESPACE, Labels.restoreRequest, 'undo').succeeded(JOB, postgresRestored(), '2025-01-02T10:00:10Z', '2025-01-02T10:01:30Z');
    await restore.clock.advance(90_000);
    await reconcileUntilQuiet(restore.client, restore.reconcile);
    const done = restore.client.peek<StoredRestore>(RESTORE_REQUESTS, NAMESPACE, 'undo');
    expect(done?.status?.phase).toBe('Succeeded');
    expect(done?.metadata.finalizers ?? []).toEqual([]);

    expect(await writesOfOneMorePass(restore, restore.reconcile)).toEqual([]);
    await restore.clock.advance(24 * 3_600_000);
    expect(await writesOfOneMorePass(restore, restore.reconcile)).toEqual([]);
  });
});
