// The operator can die at any moment and run as two replicas: killed mid-run (SIGKILL, no
// goodbye), a new process picks the run up and finishes it with the same Jobs; two replicas
// never act at the same time.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { once } from 'node:events';
import { PODS } from '../../../src/kube/resource-type.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import { Scene, waitFor } from './support.ts';

jest.setTimeout(240_000);

describe('an operator that restarts or runs twice', () => {
  let scene: Scene;

  beforeAll(async () => {
    scene = await Scene.create('op-restart');
    await scene.applySchedule({ name: 'app', schedule: '0 0 1 1 *' });
  });

  afterAll(() => scene?.tearDown());

  it('finishes a run after the operator was killed mid-run, with no second Job', async () => {
    const child = scene.spawnOperator({ leaseName: 'killed' });
    await scene.createManualRun('killed-mid-run', 'app');
    const before = await waitFor(async () => {
      const jobs = await scene.jobsOf('killed-mid-run');
      return jobs.length === 4 ? jobs : undefined;
    }, { what: 'the four backup Jobs', timeoutMs: 60_000, intervalMs: 200 });
    child.kill('SIGKILL');
    await once(child, 'exit');

    await scene.startOperator({ leaseName: 'killed', identity: 'successor' });
    const run = await scene.finalRun('killed-mid-run');
    expect(run.status?.phase).toBe('Succeeded');

    // The operator takes a Job's succeeded pod as its success; the Job controller, which
    // batches pod updates, says so up to a second later.
    const after = await waitFor(async () => {
      const jobs = await scene.jobsOf('killed-mid-run');
      return jobs.every((job) => (job.status?.succeeded ?? 0) + (job.status?.failed ?? 0) > 0) ? jobs : undefined;
    }, { what: 'the Jobs of killed-mid-run to complete', timeoutMs: 30_000, intervalMs: 200 });
    const uid = (name: string | undefined) => after.find((job) => job.metadata.name === name)?.metadata.uid;
    for (const job of before) expect(uid(job.metadata.name)).toBe(job.metadata.uid);
    const backupJobs = after.filter((job) => job.metadata.labels?.['lifeboat.dev/step'] === 'backup');
    expect(backupJobs).toHaveLength(4);
    for (const job of backupJobs) expect(job.status?.succeeded).toBe(1);
    // One pod per backup Job: nothing ran twice.
    const pods = (await scene.client.list<KubeObject>(PODS, { namespace: scene.namespace, labelSelector: 'lifeboat.dev/backup-run=killed-mid-run,lifeboat.dev/step=backup' })).items;
    expect(pods).toHaveLength(4);
    await scene.stopOperators();
  });

  it('lets only one of two replicas act, and the run they share succeeds once', async () => {
    const first = await scene.startOperator({ leaseName: 'pair', identity: 'replica-a' });
    const second = await scene.startOperator({ leaseName: 'pair', identity: 'replica-b' });
    await waitFor(() => first.isActing() || second.isActing(), { what: 'one replica to lead', timeoutMs: 30_000 });

    await scene.createManualRun('two-replicas', 'app');
    let bothActed = 0;
    let samples = 0;
    const sampler = setInterval(() => {
      samples++;
      if (first.isActing() && second.isActing()) bothActed++;
    }, 50);
    try {
      const run = await scene.finalRun('two-replicas');
      expect(run.status?.phase).toBe('Succeeded');
    } finally {
      clearInterval(sampler);
    }
    expect(samples).toBeGreaterThan(20);
    expect(bothActed).toBe(0);
    const created = (await scene.eventReasons('two-replicas', ['JobCreated'])).filter((reason) => reason === 'JobCreated');
    // Four sources and the finalize Job (verify may still be on its way), each created once.
    expect(created.length).toBeGreaterThanOrEqual(5);
    expect(created.length).toBeLessThanOrEqual(6);
  });
});
