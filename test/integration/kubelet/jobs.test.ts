// Jobs run end to end: the real Job controller creates pods, the scheduler binds them to the
// process kubelet's node, the kubelet runs them as local processes and reports their status,
// and the Job controller and garbage collector act on that status (issue #2).
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { testEnv } from '../../support/env.ts';
import { waitFor } from '../../support/wait.ts';
import { cluster, createNamespace, deleteNamespace, isProcessAlive, pidOf } from './cluster.ts';

// Waits on controllers take longer than Jest's default 5s (a testTimeout inside `projects` is ignored).
jest.setTimeout(120_000);

const { core, batch } = cluster();
let namespace = '';

beforeAll(async () => {
  namespace = await createNamespace(core, 'kubelet-jobs');
});

afterAll(async () => {
  await deleteNamespace(core, namespace);
});

function shellJob(name: string, script: string, backoffLimit: number): V1Job {
  return {
    metadata: { name, namespace },
    spec: {
      backoffLimit,
      template: {
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 5,
          containers: [{ name: 'main', image: 'busybox:1.36', command: ['sh', '-c', script] }],
        },
      },
    },
  };
}

function jobCondition(job: V1Job, type: string) {
  return job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

async function jobPods(name: string): Promise<V1Pod[]> {
  const list = await core.listNamespacedPod({ namespace, labelSelector: `job-name=${name}` });
  return list.items;
}

describe('Jobs through the process kubelet', () => {
  it('marks a Job Complete when its pod exits 0', async () => {
    await batch.createNamespacedJob({ namespace, body: shellJob('succeeds', 'echo hello from a job', 0) });

    const job = await waitFor(
      async () => {
        const current = await batch.readNamespacedJob({ name: 'succeeds', namespace });
        return jobCondition(current, 'Complete') ? current : undefined;
      },
      { what: 'Job "succeeds" to be Complete', timeoutMs: 90_000 },
    );

    expect(job.status?.succeeded).toBe(1);
    const [pod] = await jobPods('succeeds');
    expect(pod?.spec?.nodeName).toBe(testEnv().nodeName);
    expect(pod?.status?.phase).toBe('Succeeded');
    expect(pod?.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
  });

  it('marks a Job Failed after backoffLimit 1, with two failed pods', async () => {
    await batch.createNamespacedJob({ namespace, body: shellJob('fails', 'echo failing >&2; exit 1', 1) });

    const job = await waitFor(
      async () => {
        const current = await batch.readNamespacedJob({ name: 'fails', namespace });
        return jobCondition(current, 'Failed') ? current : undefined;
      },
      { what: 'Job "fails" to be Failed', timeoutMs: 110_000, intervalMs: 500 },
    );

    expect(jobCondition(job, 'Failed')?.reason).toBe('BackoffLimitExceeded');
    expect(job.status?.failed).toBe(2);
    const pods = await jobPods('fails');
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(pod.status?.phase).toBe('Failed');
      expect(pod.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    }
  }, 120_000);

  it('stops the pods of a deleted Job and lets the garbage collector remove them', async () => {
    await batch.createNamespacedJob({ namespace, body: shellJob('deleted', 'sleep 600', 0) });
    const running = await waitFor(
      async () => (await jobPods('deleted')).find((p) => p.status?.containerStatuses?.[0]?.state?.running),
      { what: 'the pod of Job "deleted" to run', timeoutMs: 60_000 },
    );
    const pid = pidOf(running.status?.containerStatuses?.[0]?.containerID);
    expect(isProcessAlive(pid)).toBe(true);

    await batch.deleteNamespacedJob({ name: 'deleted', namespace, propagationPolicy: 'Background' });

    await waitFor(async () => (await jobPods('deleted')).length === 0, {
      what: 'the garbage collector to remove the pods of Job "deleted"',
      timeoutMs: 60_000,
    });
    await waitFor(() => !isProcessAlive(pid), { what: `process ${pid} to be killed`, timeoutMs: 10_000 });
  });
});
