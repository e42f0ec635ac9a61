// The operator killed mid-drill: SIGKILL (no goodbye) while the drill's database restore Job
// runs; a new operator picks the drill up where the status and the Jobs say it is. The drill
// passes, every step ran exactly one Job per source (the same Jobs as before the kill, each
// with one pod), and nothing is left on the scratch servers.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { once } from 'node:events';
import { createDrill, createDrillRun, drillPlan, finalDrillRun, getDrillRun } from './drill-support.ts';
import { applyBigDatabaseSchedule, DEFAULT_LEASE, drillJobs, drillPods, dropDatabase, existingScratch, runningStepJob } from './drill-scratch.ts';
import { Scene, waitFor } from './support.ts';

jest.setTimeout(420_000);

/** Enough rows that the restore runs for several seconds (about ten on the test machine). */
const BIG_ROWS = 500_000;
const LEASE = 'drill-restart';

type FinishedJob = Awaited<ReturnType<typeof drillJobs>>[number] & { status?: { completionTime?: string } };

describe('an operator killed mid-drill', () => {
  let scene: Scene;
  let bigDatabase: string | undefined;

  beforeAll(async () => {
    scene = await Scene.create('op-drill-restart');
    bigDatabase = await applyBigDatabaseSchedule(scene, 'big', BIG_ROWS, ['app-db', 'uploads']);
    await createDrill(scene.client, scene.namespace, 'weekly', { ...drillPlan('big'), suspend: true });
  });

  afterAll(async () => {
    await scene?.tearDown();
    if (bigDatabase) await dropDatabase(bigDatabase);
  });

  it('finishes the drill with the same Jobs, none duplicated, and no scratch left', async () => {
    const child = scene.spawnOperator({ leaseName: LEASE, podName: 'first', env: DEFAULT_LEASE });
    await scene.createManualRun('big-now', 'big');
    expect((await scene.finalRun('big-now', 240_000)).status?.phase).toBe('Succeeded');

    await createDrillRun(scene.client, scene.namespace, 'killed', 'weekly', drillPlan('big'));
    const restoreJob = await runningStepJob(scene, 'killed', 'restore', 'app-db');
    child.kill('SIGKILL');
    await once(child, 'exit');
    const killedAt = Date.now();
    const before = await drillJobs(scene, 'killed');
    const midway = (await getDrillRun(scene.client, scene.namespace, 'killed'))!;
    expect(midway.status?.result).toBe('Running');
    expect(midway.status?.steps?.find((step) => step.name === 'RestoreDatabase')?.phase).toBe('Running');

    // A new process, as after a crash: it takes the lease over once the dead one's expires.
    scene.spawnOperator({ leaseName: LEASE, podName: 'successor', env: DEFAULT_LEASE });
    const run = await finalDrillRun(scene.client, scene.namespace, 'killed');
    const status = run.status!;
    expect({ result: status.result, reason: status.reason, message: status.message }).toEqual({ result: 'Passed', reason: undefined, message: undefined });
    expect(status.steps?.map((step) => [step.name, step.phase])).toEqual([
      ['SelectBackup', 'Succeeded'],
      ['Provision', 'Succeeded'],
      ['RestoreDatabase', 'Succeeded'],
      ['RestoreBuckets', 'Succeeded'],
      ['Verify', 'Succeeded'],
      ['Cleanup', 'Succeeded'],
    ]);
    expect(status.checks?.find((check) => check.name === 'row-counts')).toMatchObject({ result: 'Passed', actual: '4 match, 0 differ' });

    // Exactly one Job per step and source; those that existed at the kill are the same objects.
    // The Jobs may still be settling: SuccessCriteriaMet (what the drill goes by) comes before
    // the pod is counted in status.succeeded.
    const after = await waitFor(async () => {
      const jobs = (await drillJobs(scene, 'killed')) as FinishedJob[];
      return jobs.every((job) => job.status?.succeeded === 1) ? jobs : undefined;
    }, { what: 'every Job of the drill to count its pod as succeeded', timeoutMs: 30_000, intervalMs: 500 });
    const steps = ['provision', 'restore', 'verify', 'cleanup'];
    expect(after.map((job) => job.metadata.name).sort()).toEqual(steps.flatMap((step) => ['app-db', 'uploads'].map((source) => `killed-${step}-${source}`)).sort());
    for (const job of before) expect(after.find((candidate) => candidate.metadata.name === job.metadata.name)?.metadata.uid).toBe(job.metadata.uid);
    for (const job of after) expect({ job: job.metadata.name, succeeded: job.status?.succeeded, failed: job.status?.failed }).toEqual({ job: job.metadata.name, succeeded: 1, failed: undefined });
    // The restore that ran at the kill finished afterwards, in the same Job.
    const restore = after.find((job) => job.metadata.name === restoreJob.metadata.name)!;
    expect(restore.metadata.uid).toBe(restoreJob.metadata.uid);
    expect(new Date(restore.status!.completionTime!).getTime()).toBeGreaterThan(killedAt - 1_000);
    // One pod per Job: nothing ran twice.
    const pods = await drillPods(scene, 'killed');
    const podsPerJob = new Map<string, number>();
    for (const pod of pods) {
      const job = pod.metadata.labels?.['job-name'] ?? '';
      podsPerJob.set(job, (podsPerJob.get(job) ?? 0) + 1);
    }
    expect([...podsPerJob.entries()].sort()).toEqual(after.map((job) => [job.metadata.name, 1]).sort());

    // Nothing leaked on the scratch servers.
    expect(status.scratch?.databases).toHaveLength(1);
    expect(status.scratch?.buckets).toHaveLength(1);
    expect(status.scratch?.leftBehind).toBeUndefined();
    expect(await existingScratch(run)).toEqual({ databases: [], buckets: [] });
  });
});
