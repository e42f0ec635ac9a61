// Object storage is the source of truth: after the namespace (schedule, runs and all) is gone,
// applying the schedule to a namespace that has never seen it brings its runs back from the
// run manifests in the bucket, with their status (the read-back's verdict included), ready for
// restores and drills.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { SECRETS } from '../../../src/kube/resource-type.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import { secretManifests } from '../../support/backup-fixture.ts';
import { testEnv } from '../../support/env.ts';
import { createNamespace, NAMESPACES, Scene, waitFor, type RunObject } from './support.ts';

jest.setTimeout(240_000);

describe('catalog sync into a rebuilt namespace', () => {
  let scene: Scene;
  let original: RunObject;

  beforeAll(async () => {
    scene = await Scene.create('op-catalog');
    await scene.applySchedule({ name: 'app', schedule: '0 0 1 1 *' });
    await scene.startOperator();
    // Retain: deleting the namespace must not delete the backup (a lost cluster does not either).
    await scene.createManualRun('nightly', 'app', { deletionPolicy: 'Retain' });
    original = await scene.finalRun('nightly');
    expect(original.status?.phase).toBe('Succeeded');
    // Read back before the disaster: its verdict, next to the run manifest, comes back with it.
    original = await scene.verifiedRun('nightly');
  });

  afterAll(() => scene?.tearDown());

  it('recreates the run with its status from the bucket', async () => {
    const { client, namespace, fixture } = scene;
    // The cluster loses everything: the operator, the namespace with its schedule and runs.
    await scene.stopOperators();
    await client.delete(NAMESPACES, undefined, namespace);
    await waitFor(async () => !(await client.find(NAMESPACES, undefined, namespace)), { what: 'the namespace to be gone', timeoutMs: 120_000, intervalMs: 1_000 });

    // Rebuilt by GitOps: the same namespace, Secrets and schedule, and a new operator.
    await createNamespace(client, 'unused', namespace);
    for (const secret of secretManifests(testEnv(), fixture)) await client.apply(SECRETS, secret as KubeObject, { force: true });
    await scene.startOperator();
    await scene.applySchedule({ name: 'app', schedule: '0 0 1 1 *' });

    const imported = await waitFor(async () => {
      const run = await scene.run('nightly');
      return run?.status?.phase ? run : undefined;
    }, { what: 'catalog sync to recreate the run', timeoutMs: 60_000, intervalMs: 500 });
    expect(imported.status?.phase).toBe('Succeeded');
    expect(imported.metadata.annotations?.['lifeboat.dev/imported-from']).toBe(original.status?.manifestKey);
    expect(imported.status?.manifestKey).toBe(original.status?.manifestKey);
    expect(imported.status?.sizeBytes).toBe(original.status?.sizeBytes);
    expect(imported.status?.snapshotTime).toBeDefined();
    const facts = (run: RunObject) => (run.status?.artifacts ?? []).map((artifact) => [artifact.source, artifact.key, artifact.sha256, artifact.sizeBytes]);
    expect(facts(imported)).toEqual(facts(original));
    expect(imported.status?.conditions?.find((condition) => condition.type === 'Verified')).toMatchObject({ status: 'True', reason: 'ChecksumsMatch' });
    expect(await scene.runNames()).toEqual(['nightly']);
    expect(await scene.eventReasons('app', ['CatalogSynced'])).toContain('CatalogSynced');
  });
});
