// A second, in-process kubelet (startKubelet) on its own cordoned node, with its own image map:
// a container without a command runs its image's mapped entrypoint; stopping the kubelet
// leaves no process behind, and a restarted kubelet never runs a pod twice. A finished pod
// stays finished; a pod whose process died with the old kubelet fails with
// ContainerStatusUnknown under restartPolicy Never instead of starting again.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { pino } from 'pino';
import { type Kubelet, startKubelet } from '../../env/kubelet/kubelet.ts';
import { testEnv } from '../../support/env.ts';
import { waitFor } from '../../support/wait.ts';
import { cluster, createNamespace, deleteNamespace, isFinished, isProcessAlive, pidOf, shellPod, waitForPod } from './cluster.ts';

// Waits on controllers take longer than Jest's default 5s (a testTimeout inside `projects` is ignored).
jest.setTimeout(120_000);

const { core } = cluster();
const nodeName = `kubelet-restart-${randomBytes(3).toString('hex')}`;
const workDir = join(testEnv().workDir, nodeName);
const runsDir = join(workDir, 'runs');
const imagesFile = join(workDir, 'images.json');
let namespace = '';
let kubelet: Kubelet | undefined;

const start = () =>
  startKubelet({
    kubeconfig: testEnv().kubeconfig,
    nodeName,
    workDir: join(workDir, 'kubelet'),
    imagesFile,
    unschedulable: true,
    logger: pino({ level: 'warn' }),
  });

beforeAll(async () => {
  mkdirSync(runsDir, { recursive: true });
  // The "greeter" image's entrypoint; a pod's args are appended and reach the script as $0, $1.
  writeFileSync(imagesFile, JSON.stringify({ greeter: ['/bin/sh', '-c', 'printf "%s, %s" "$0" "$1" > /dev/termination-log'] }));
  namespace = await createNamespace(core, 'kubelet-restart');
  kubelet = await start();
});

afterAll(async () => {
  // Pods go while a kubelet still runs them, so nothing is left Terminating on a dead node.
  await core.deleteCollectionNamespacedPod({ namespace }).catch(() => undefined);
  await waitFor(async () => (await core.listNamespacedPod({ namespace })).items.length === 0, {
    what: 'the pods to be deleted',
    timeoutMs: 30_000,
  }).catch(() => undefined);
  await kubelet?.stop();
  await core.deleteNode({ name: nodeName }).catch(() => undefined);
  await deleteNamespace(core, namespace);
});

/** Each run of the pod appends a line to a host file, so runs can be counted across kubelets. */
function countingPod(name: string, then: string) {
  const pod = shellPod(namespace, name, `echo run >> "$1"; ${then}`, { args: [join(runsDir, name)] });
  return { ...pod, spec: { ...pod.spec!, nodeName } };
}

const runs = (name: string) => readFileSync(join(runsDir, name), 'utf8').split('\n').filter(Boolean).length;

describe('the image map', () => {
  it('runs the mapped entrypoint with the pod args for a container without a command', async () => {
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: 'mapped', namespace },
        spec: {
          nodeName,
          restartPolicy: 'Never',
          containers: [{ name: 'main', image: 'registry.example.com/team/greeter:1.2', args: ['hello', 'world'] }],
        },
      },
    });

    const done = await waitForPod(core, namespace, 'mapped', isFinished, 'to finish');

    expect(done.status?.phase).toBe('Succeeded');
    expect(done.status?.containerStatuses?.[0]?.state?.terminated?.message).toBe('hello, world');
  });
});

describe('a restarted process kubelet', () => {
  it('kills its processes on stop and never runs a pod twice', async () => {
    await core.createNamespacedPod({ namespace, body: countingPod('finished', 'true') });
    await core.createNamespacedPod({ namespace, body: countingPod('interrupted', 'sleep 600') });
    await waitForPod(core, namespace, 'finished', isFinished, 'to finish');
    const running = await waitForPod(
      core,
      namespace,
      'interrupted',
      (p) => p.status?.containerStatuses?.[0]?.state?.running !== undefined,
      'to run',
    );
    const pid = pidOf(running.status?.containerStatuses?.[0]?.containerID);
    expect(isProcessAlive(pid)).toBe(true);

    await kubelet?.stop();
    expect(isProcessAlive(pid)).toBe(false);

    kubelet = await start();
    const lost = await waitForPod(core, namespace, 'interrupted', isFinished, 'to be marked failed');

    expect(lost.status?.phase).toBe('Failed');
    expect(lost.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 137,
      reason: 'ContainerStatusUnknown',
    });
    const finished = await core.readNamespacedPod({ name: 'finished', namespace });
    expect(finished.status?.phase).toBe('Succeeded');
    expect(runs('finished')).toBe(1);
    expect(runs('interrupted')).toBe(1);
  });
});
