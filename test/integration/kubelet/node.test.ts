// The Node the process kubelet registers: Ready, with capacity and addresses the scheduler and
// the API server rely on, a Lease that keeps being renewed, and a log endpoint that answers.
import { request } from 'node:https';
import { describe, expect, it, jest } from '@jest/globals';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { testEnv } from '../../support/env.ts';
import { waitFor } from '../../support/wait.ts';
import { cluster } from './cluster.ts';

// Waits on controllers take longer than Jest's default 5s (a testTimeout inside `projects` is ignored).
jest.setTimeout(120_000);

const { core, kubeconfig } = cluster();
const { nodeName } = testEnv();

describe('the process kubelet node', () => {
  it('is Ready, schedulable and reports capacity, addresses and its kubelet port', async () => {
    const node = await core.readNode({ name: nodeName });

    expect(node.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'KubeletReady' });
    expect(node.spec?.taints ?? []).toEqual([]);
    expect(node.status?.capacity).toMatchObject({ cpu: '2', pods: '110' });
    expect(node.status?.allocatable?.['memory']).toMatch(/^\d+Ki$/);
    expect(node.status?.addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' });
    expect(node.status?.addresses?.some((a) => a.type === 'Hostname')).toBe(true);
    expect(node.status?.nodeInfo?.kubeletVersion).toMatch(/^v1\./);
    const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0;
    expect(await healthz(port)).toBe('ok\n');
  });

  it('renews its Lease in kube-node-lease', async () => {
    const coordination = kubeconfig.makeApiClient(CoordinationV1Api);
    const renewTime = async () =>
      String((await coordination.readNamespacedLease({ name: nodeName, namespace: 'kube-node-lease' })).spec?.renewTime);
    const first = await renewTime();

    const later = await waitFor(async () => {
      const current = await renewTime();
      return current !== first ? current : undefined;
    }, { what: 'the node Lease to be renewed', timeoutMs: 30_000, intervalMs: 1_000 });

    expect(new Date(later).getTime()).toBeGreaterThan(new Date(first).getTime());
  });
});

/** The kubelet's serving certificate is self-signed, as the API server expects of it. */
function healthz(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}
