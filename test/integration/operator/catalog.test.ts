// Object storage is the source of truth: after the namespace (schedule, runs and all) is gone,
// applying the schedule to a namespace that has never seen it brings its runs back from the
// run manifests in the bucket, with their status, ready for restores and drills.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { SECRETS } from '../../../src/kube/resource-type.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import type { RunningOperator } from '../../../src/operator/operator.ts';
import { secretManifests, type AppFixture } from '../../support/backup-fixture.ts';
import { testEnv } from '../../support/env.ts';
import {
  applySchedule,
  createManualRun,
  createNamespace,
  ensureCrds,
  eventReasons,
  getRun,
  listRuns,
  NAMESPACES,
  seedFixture,
  startTestOperator,
  testClient,
  waitFor,
  waitForFinalRun,
  type RunObject,
} from './support.ts';

jest.setTimeout(240_000);

describe('catalog sync into a rebuilt namespace', () => {
  const client = testClient();
  let namespace: string;
  let fixture: AppFixture;
  let operator: RunningOperator | undefined;
  let original: RunObject;

  beforeAll(async () => {
    await ensureCrds();
    namespace = await createNamespace(client, 'op-catalog');
    fixture = await seedFixture(client, namespace);
    await applySchedule(client, fixture, { name: 'app', schedule: '0 0 1 1 *' });
    operator = await startTestOperator({ namespace });
    // Retain: deleting the namespace must not delete the backup (a lost cluster does not either).
    await createManualRun(client, namespace, 'nightly', 'app', { deletionPolicy: 'Retain' });
    original = await waitForFinalRun(client, namespace, 'nightly');
    expect(original.status?.phase).toBe('Succeeded');
  });

  afterAll(async () => {
    await operator?.stop();
    await client.delete(NAMESPACES, undefined, namespace).catch(() => undefined);
    await client.close();
  });

  it('recreates the run with its status from the bucket', async () => {
    // The cluster loses everything: the operator, the namespace with its schedule and runs.
    await operator?.stop();
    operator = undefined;
    await client.delete(NAMESPACES, undefined, namespace);
    await waitFor(async () => !(await client.find(NAMESPACES, undefined, namespace)), { what: 'the namespace to be gone', timeoutMs: 120_000, intervalMs: 1_000 });

    // Rebuilt by GitOps: the same namespace, Secrets and schedule, and a new operator.
    await createNamespace(client, 'unused', namespace);
    for (const secret of secretManifests(testEnv(), fixture)) await client.apply(SECRETS, secret as KubeObject, { force: true });
    operator = await startTestOperator({ namespace });
    await applySchedule(client, fixture, { name: 'app', schedule: '0 0 1 1 *' });

    const imported = await waitFor(async () => {
      const run = await getRun(client, namespace, 'nightly');
      return run?.status?.phase ? run : undefined;
    }, { what: 'catalog sync to recreate the run', timeoutMs: 60_000, intervalMs: 500 });
    expect(imported.status?.phase).toBe('Succeeded');
    expect(imported.metadata.annotations?.['lifeboat.dev/imported-from']).toBe(original.status?.manifestKey);
    expect(imported.status?.manifestKey).toBe(original.status?.manifestKey);
    expect(imported.status?.sizeBytes).toBe(original.status?.sizeBytes);
    expect(imported.status?.snapshotTime).toBeDefined();
    const facts = (run: RunObject) => (run.status?.artifacts ?? []).map((artifact) => [artifact.source, artifact.key, artifact.sha256, artifact.sizeBytes]);
    expect(facts(imported)).toEqual(facts(original));
    expect((await listRuns(client, namespace)).map((run) => run.metadata.name)).toEqual(['nightly']);
    expect(await eventReasons(client, namespace, 'app')).toContain('CatalogSynced');
  });
});
