// The operator can die at any moment and run as two replicas: killed mid-run (SIGKILL, no
// goodbye), a new process picks the run up and finishes it with the same Jobs; two replicas
// never act at the same time.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { once } from 'node:events';
import { PODS } from '../../../src/kube/resource-type.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import type { RunningOperator } from '../../../src/operator/operator.ts';
import { repoRoot } from '../../env/paths.ts';
import { testEnv } from '../../support/env.ts';
import {
  applySchedule,
  createManualRun,
  createNamespace,
  ensureCrds,
  eventReasons,
  listJobs,
  NAMESPACES,
  seedFixture,
  startTestOperator,
  testClient,
  waitFor,
  waitForFinalRun,
} from './support.ts';

jest.setTimeout(240_000);

describe('an operator that restarts or runs twice', () => {
  const client = testClient();
  let namespace: string;
  const running: RunningOperator[] = [];
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    await ensureCrds();
    namespace = await createNamespace(client, 'op-restart');
    const fixture = await seedFixture(client, namespace);
    await applySchedule(client, fixture, { name: 'app', schedule: '0 0 1 1 *' });
  });

  afterAll(async () => {
    child?.kill('SIGKILL');
    await Promise.all(running.map((operator) => operator.stop()));
    await client.delete(NAMESPACES, undefined, namespace).catch(() => undefined);
    await client.close();
  });

  /** The built operator as its own process, so that it can be killed for real. */
  function spawnOperator(): ChildProcess {
    const processEnv = {
      PATH: process.env.PATH,
      KUBECONFIG: testEnv().kubeconfig,
      LIFEBOAT_RUNNER_IMAGE: 'ghcr.io/lifeboat-dev/lifeboat-runner:dev',
      LIFEBOAT_WATCH_NAMESPACES: namespace,
      LIFEBOAT_LEASE_NAMESPACE: namespace,
      LIFEBOAT_LEASE_NAME: 'killed',
      LIFEBOAT_HTTP_HOST: '127.0.0.1',
      LIFEBOAT_HTTP_PORT: '0',
      LIFEBOAT_LEASE_DURATION_SECONDS: '4',
      LIFEBOAT_RENEW_DEADLINE_SECONDS: '3',
      LIFEBOAT_RETRY_PERIOD_SECONDS: '1',
      LIFEBOAT_LOG_LEVEL: 'warn',
    };
    return spawn(process.execPath, [join(repoRoot, 'dist/operator/main.js')], { env: processEnv, stdio: ['ignore', 'ignore', 'inherit'] });
  }

  const jobsOf = async (run: string) => (await listJobs(client, namespace)).filter((job) => job.metadata.labels?.['lifeboat.dev/backup-run'] === run);

  it('finishes a run after the operator was killed mid-run, with no second Job', async () => {
    child = spawnOperator();
    await createManualRun(client, namespace, 'killed-mid-run', 'app');
    const before = await waitFor(async () => {
      const jobs = await jobsOf('killed-mid-run');
      return jobs.length === 4 ? jobs : undefined;
    }, { what: 'the four backup Jobs', timeoutMs: 60_000, intervalMs: 200 });
    child.kill('SIGKILL');
    await once(child, 'exit');
    child = undefined;

    running.push(await startTestOperator({ namespace, leaseName: 'killed', identity: 'successor' }));
    const run = await waitForFinalRun(client, namespace, 'killed-mid-run');
    expect(run.status?.phase).toBe('Succeeded');

    const after = await jobsOf('killed-mid-run');
    const uid = (name: string | undefined) => after.find((job) => job.metadata.name === name)?.metadata.uid;
    for (const job of before) expect(uid(job.metadata.name)).toBe(job.metadata.uid);
    const backupJobs = after.filter((job) => job.metadata.labels?.['lifeboat.dev/step'] === 'backup');
    expect(backupJobs).toHaveLength(4);
    for (const job of backupJobs) expect(job.status?.succeeded).toBe(1);
    // One pod per backup Job: nothing ran twice.
    const pods = (await client.list<KubeObject>(PODS, { namespace, labelSelector: 'lifeboat.dev/backup-run=killed-mid-run,lifeboat.dev/step=backup' })).items;
    expect(pods).toHaveLength(4);
    await Promise.all(running.splice(0).map((operator) => operator.stop()));
  });

  it('lets only one of two replicas act, and the run they share succeeds once', async () => {
    const first = await startTestOperator({ namespace, leaseName: 'pair', identity: 'replica-a' });
    const second = await startTestOperator({ namespace, leaseName: 'pair', identity: 'replica-b' });
    running.push(first, second);
    await waitFor(() => first.isActing() || second.isActing(), { what: 'one replica to lead', timeoutMs: 30_000 });

    await createManualRun(client, namespace, 'two-replicas', 'app');
    let bothActed = 0;
    let samples = 0;
    const sampler = setInterval(() => {
      samples++;
      if (first.isActing() && second.isActing()) bothActed++;
    }, 50);
    try {
      const run = await waitForFinalRun(client, namespace, 'two-replicas');
      expect(run.status?.phase).toBe('Succeeded');
    } finally {
      clearInterval(sampler);
    }
    expect(samples).toBeGreaterThan(20);
    expect(bothActed).toBe(0);
    const created = (await eventReasons(client, namespace, 'two-replicas')).filter((reason) => reason === 'JobCreated');
    // Four sources and the finalize Job (verify may still be on its way), each created once.
    expect(created.length).toBeGreaterThanOrEqual(5);
    expect(created.length).toBeLessThanOrEqual(6);
  });
});
