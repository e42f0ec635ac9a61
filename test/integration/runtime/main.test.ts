// The operator process itself: it starts from its environment, becomes ready, and on SIGTERM
// shuts down cleanly (exit 0) and hands its lease back.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { LEASES } from '../../../src/kube/resource-type.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import type { LeaseRecord } from '../../../src/runtime/lease-decision.ts';
import { testEnv } from '../../support/env.ts';
import { installCrds, makeKubectl } from '../api/kubectl.ts';
import { createNamespace, deleteNamespace, testClient, waitFor } from './support.ts';

// Bounded waits inside each test are shorter; this only caps a test as a whole.
jest.setTimeout(60_000);

describe('lifeboat-operator (src/operator/main.ts)', () => {
  const client = testClient();
  let namespace: string;
  let child: ChildProcess | undefined;
  const lines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    // The operator is ready once its informers listed the five kinds: their CRDs must exist even
    // when this file runs first (alone it used to time out on /readyz).
    await installCrds(makeKubectl());
    namespace = await createNamespace(client, 'main');
  });

  afterAll(async () => {
    child?.kill('SIGKILL');
    await deleteNamespace(client, namespace);
    await client.close();
  });

  it('starts from its environment, gets ready, and exits 0 on SIGTERM after releasing the lease', async () => {
    child = spawn(process.execPath, ['src/operator/main.ts'], {
      env: {
        PATH: process.env.PATH,
        KUBECONFIG: testEnv().kubeconfig,
        POD_NAME: 'operator-under-test',
        POD_NAMESPACE: namespace,
        LIFEBOAT_RUNNER_IMAGE: 'lifeboat-runner:test',
        LIFEBOAT_WATCH_NAMESPACES: namespace,
        LIFEBOAT_HTTP_HOST: '127.0.0.1',
        LIFEBOAT_HTTP_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child?.on('exit', (code) => resolve(code)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line });
      }
    });

    const serving = await waitFor(() => lines.find((line) => line.msg === 'serving /healthz, /readyz and /metrics'), {
      what: 'the operator to serve HTTP',
      timeoutMs: 20_000,
    });
    const url = `http://127.0.0.1:${String(serving.port)}`;
    await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, { what: '/readyz to pass', timeoutMs: 20_000 });
    await waitFor(async () => (await (await fetch(`${url}/metrics`)).text()).includes('\nlifeboat_leader 1\n'), {
      what: 'the operator to lead',
      timeoutMs: 20_000,
    });
    const leaseName = 'lifeboat-operator';
    const held = await client.get<KubeObject & { spec: LeaseRecord }>(LEASES, namespace, leaseName);
    expect(held.spec.holderIdentity).toMatch(/^operator-under-test_[0-9a-f]{8}$/);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const released = await client.get<KubeObject & { spec: LeaseRecord }>(LEASES, namespace, leaseName);
    expect(released.spec.holderIdentity).toBe('');
    expect(lines.map((line) => line.msg)).toEqual(expect.arrayContaining(['operator started', 'shutting down', 'released the lease']));
    expect(lines.every((line) => typeof line.level === 'string' && typeof line.time === 'string')).toBe(true);
  });
});
