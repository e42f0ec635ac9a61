// S3 being unreachable never loses a delete: a Succeeded BackupRun deleted while its storage
// endpoint refuses connections keeps its finalizer, and a Warning event says why; once the
// storage is back, the finalizer deletes the run's objects and lets the run go.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { EVENTS } from '../../../src/kube/resource-type.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import { testEnv } from '../../support/env.ts';
import { BreakableProxy } from '../runtime/support.ts';
import { BACKUP_RUNS, Scene, waitFor, type RunObject } from './support.ts';

jest.setTimeout(240_000);

interface EventObject extends KubeObject {
  type?: string;
  reason?: string;
  note?: string;
  regarding?: { name?: string };
}

describe('deleting a run while its backup storage is unreachable', () => {
  let scene: Scene;
  let proxy: BreakableProxy;
  let run: RunObject;

  beforeAll(async () => {
    scene = await Scene.create('op-s3down');
    proxy = await BreakableProxy.start(new URL(testEnv().s3.endpoint));
    // The backup storage is reached through the proxy; the sources are not.
    await scene.applySchedule({ name: 'app', schedule: '0 0 1 1 *', sources: ['app-db'], storageEndpoint: `http://127.0.0.1:${proxy.port}` });
    await scene.startOperator();
    await scene.createManualRun('doomed', 'app');
    run = await scene.finalRun('doomed');
    expect(run.status?.phase).toBe('Succeeded');
    // Nothing of the run is still at work (the verify Job reads the bucket too).
    await scene.verifiedRun('doomed', 60_000);
  });

  afterAll(async () => {
    await scene?.tearDown();
    await proxy?.close();
  });

  async function warnings(): Promise<EventObject[]> {
    const events = (await scene.client.list<EventObject>(EVENTS, { namespace: scene.namespace })).items;
    return events.filter((event) => event.regarding?.name === 'doomed' && event.type === 'Warning');
  }

  it('keeps the finalizer with a Warning event while S3 is down, then deletes the objects and the run', async () => {
    // The read-back's verdict is part of the run's folder, and goes with it.
    expect(await scene.objectsOf('app', 'doomed')).toEqual(['app-db/database.dump.zst', 'app-db/manifest.json', 'manifest.json', 'verification.json']);
    proxy.refuse(true);
    await scene.client.delete(BACKUP_RUNS, scene.namespace, 'doomed');

    const [warning] = await waitFor(async () => {
      const found = (await warnings()).filter((event) => event.reason === 'ArtifactsDeleteFailed');
      return found.length > 0 ? found : undefined;
    }, { what: 'a Warning event on the run', timeoutMs: 60_000, intervalMs: 500 });
    expect(warning?.note).toContain(`127.0.0.1:${proxy.port}`);
    const held = await scene.run('doomed');
    expect(held?.metadata.deletionTimestamp).toBeDefined();
    expect(held?.metadata.finalizers).toContain('lifeboat.dev/artifacts');
    expect(await scene.objectsOf('app', 'doomed')).toHaveLength(4);
    expect(JSON.stringify(await warnings())).not.toContain(testEnv().s3.secretAccessKey);

    proxy.refuse(false);
    await waitFor(async () => !(await scene.run('doomed')), { what: 'the run to be gone', timeoutMs: 120_000, intervalMs: 500 });
    expect(await scene.objectsOf('app', 'doomed')).toEqual([]);
    expect(await scene.eventReasons('doomed', ['ArtifactsDeleted'])).toContain('ArtifactsDeleted');
  });
});
