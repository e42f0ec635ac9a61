// Registers the Node and keeps it alive: a Lease in kube-node-lease renewed every ~10s (what
// the node lifecycle controller watches) and the status, with the Ready heartbeat, re-posted
// periodically through the status subresource. A Node deleted under us is registered again.
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { type KubeApi, nodeLeaseNamespace } from './kube-api.ts';
import { nodeObject, nodeStatus } from './node-object.ts';
import type { SystemInfo } from './system-info.ts';
import type { KubeletTiming } from './timing.ts';

export interface NodeAgentOptions {
  readonly api: KubeApi;
  readonly nodeName: string;
  readonly system: SystemInfo;
  readonly kubeletPort: number;
  readonly log: Logger;
  readonly timing: KubeletTiming;
  readonly now: () => Date;
  /** How long to keep trying the first registration (the API server may still be starting). */
  readonly registerTimeoutMs: number;
  readonly unschedulable: boolean;
  /** Fast mode: the node carries COMPLETE_RUNNER_PODS_TAINT. */
  readonly completeRunnerPods?: boolean;
}

export async function startNodeAgent(options: NodeAgentOptions): Promise<{ stop(): void }> {
  const { api, nodeName, log, timing, now } = options;
  const readySince = now();
  const kubeletVersion = await retry(() => api.serverVersion(), options, 'reading the API server version');

  const postStatus = async () => {
    const status = nodeStatus({
      system: options.system,
      hostname: hostname(),
      kubeletPort: options.kubeletPort,
      kubeletVersion,
      readySince,
      now: now(),
    });
    await api.patchNodeStatus(nodeName, status);
  };

  const register = async () => {
    const created = await api.createNode(nodeObject(nodeName, options.system, options.unschedulable, options.completeRunnerPods ?? false));
    await postStatus();
    const node = created === 'exists' ? await api.readNode(nodeName) : created;
    const uid = node?.metadata?.uid;
    await api.createLease({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: nodeName,
        namespace: nodeLeaseNamespace,
        ...(uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid }] } : {}),
      },
      spec: leaseSpec(nodeName, timing, now()) as never,
    });
    log.info({ node: nodeName, created: created !== 'exists' }, 'node registered');
    await removeNotReadyTaints(api, nodeName, log);
  };

  await retry(register, options, 'registering the node');

  const statusTimer = setInterval(() => {
    postStatus().catch(async (error: unknown) => {
      log.warn({ err: error }, 'posting node status failed');
      if ((await api.readNode(nodeName).catch(() => 'unknown')) === undefined) await register().catch(() => undefined);
    });
  }, timing.nodeStatusMs);
  const leaseTimer = setInterval(() => {
    api
      .patchLease(nodeName, { spec: leaseSpec(nodeName, timing, now()) })
      .then((found) => (found ? undefined : register()))
      .catch((error: unknown) => log.warn({ err: error }, 'renewing the node lease failed'));
  }, timing.leaseRenewMs);
  statusTimer.unref();
  leaseTimer.unref();

  return {
    stop() {
      clearInterval(statusTimer);
      clearInterval(leaseTimer);
    },
  };
}

/**
 * The API server's TaintNodesByCondition admission taints every new Node not-ready, and the
 * node lifecycle controller lifts the taint once the node reports Ready. The test environment
 * runs without that controller (it would taint the node whenever a heartbeat is late on a
 * loaded machine), so the kubelet lifts it itself right after reporting Ready.
 */
async function removeNotReadyTaints(api: KubeApi, nodeName: string, log: Logger): Promise<void> {
  const node = await api.readNode(nodeName);
  const taints = node?.spec?.taints ?? [];
  const kept = taints.filter((t) => !notReadyTaints.has(t.key));
  if (!node || kept.length === taints.length) return;
  await api.patchNode(nodeName, {
    metadata: { resourceVersion: node.metadata?.resourceVersion },
    spec: { taints: kept.map((t) => JSON.parse(JSON.stringify(t)) as object) },
  });
  log.info({ node: nodeName }, 'removed the not-ready taint');
}

const notReadyTaints = new Set(['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']);

function leaseSpec(nodeName: string, timing: KubeletTiming, now: Date) {
  return {
    holderIdentity: nodeName,
    leaseDurationSeconds: timing.leaseDurationSeconds,
    // A MicroTime: exactly six fractional digits, or the API server rejects it.
    renewTime: now.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z'),
  };
}

async function retry<T>(action: () => Promise<T>, options: NodeAgentOptions, what: string): Promise<T> {
  const deadline = Date.now() + options.registerTimeoutMs;
  for (let delayMs = 250; ; delayMs = Math.min(delayMs * 2, 5_000)) {
    try {
      return await action();
    } catch (error) {
      if (Date.now() + delayMs > deadline) throw new Error(`${what}: ${(error as Error).message}`, { cause: error });
      options.log.info({ err: error, retryInMs: delayMs }, `${what} failed; retrying`);
      await sleep(delayMs);
    }
  }
}
