// Helpers for the process kubelet's integration tests: API clients for the test cluster,
// throwaway namespaces and small pod builders.
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  type V1Container,
  type V1ContainerStateTerminated,
  type V1Pod,
  type V1PodSpec,
} from '@kubernetes/client-node';
import { testEnv } from '../../support/env.ts';
import { waitFor } from '../../support/wait.ts';

export interface Cluster {
  readonly kubeconfig: KubeConfig;
  readonly core: CoreV1Api;
  readonly batch: BatchV1Api;
}

export function cluster(): Cluster {
  const kubeconfig = new KubeConfig();
  kubeconfig.loadFromFile(testEnv().kubeconfig);
  return { kubeconfig, core: kubeconfig.makeApiClient(CoreV1Api), batch: kubeconfig.makeApiClient(BatchV1Api) };
}

/** A fresh namespace whose default ServiceAccount exists (pods are rejected until it does). */
export async function createNamespace(core: CoreV1Api, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await core.createNamespace({ body: { metadata: { name, labels: { 'lifeboat.dev/test': 'kubelet' } } } });
  await waitFor(() => core.readNamespacedServiceAccount({ name: 'default', namespace: name }), {
    what: `the default ServiceAccount in ${name}`,
    timeoutMs: 30_000,
  });
  return name;
}

export async function deleteNamespace(core: CoreV1Api, name: string): Promise<void> {
  await core.deleteNamespace({ name }).catch(() => undefined);
}

/** A one-container pod that runs a shell script on the host. */
export function shellPod(
  namespace: string,
  name: string,
  script: string,
  options: { container?: Partial<V1Container>; spec?: Partial<V1PodSpec>; args?: string[] } = {},
): V1Pod {
  return {
    metadata: { name, namespace },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 5,
      ...options.spec,
      containers: [
        {
          name: 'main',
          image: 'busybox:1.36',
          // `sh -c script sh arg1 ...`: args reach the script as $1..., translated like any arg.
          command: ['sh', '-c', script, 'sh'],
          args: options.args ?? [],
          ...options.container,
        },
      ],
    },
  };
}

export async function waitForPod(
  core: CoreV1Api,
  namespace: string,
  name: string,
  predicate: (pod: V1Pod) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<V1Pod> {
  return waitFor(
    async () => {
      const pod = await core.readNamespacedPod({ name, namespace });
      return predicate(pod) ? pod : undefined;
    },
    { what: `pod ${namespace}/${name}: ${what}`, timeoutMs },
  );
}

export const isFinished = (pod: V1Pod) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

export function terminatedState(pod: V1Pod, container = 'main'): V1ContainerStateTerminated | undefined {
  return pod.status?.containerStatuses?.find((s) => s.name === container)?.state?.terminated;
}

/** The pid behind a `process://<pid>` container ID. */
export function pidOf(containerID: string | undefined): number {
  const match = /^process:\/\/(\d+)$/.exec(containerID ?? '');
  if (!match) throw new Error(`not a process container ID: ${containerID}`);
  return Number(match[1]);
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function kubectl(args: string[]): Promise<string> {
  const { kubeconfig, binDir } = testEnv();
  const { stdout } = await promisify(execFile)(join(binDir, 'kubectl'), [`--kubeconfig=${kubeconfig}`, ...args]);
  return stdout;
}
