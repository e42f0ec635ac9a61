// For controller unit tests on the memory cluster: the part of the Job controller and the
// kubelet a test plays (a Job's status, its runner pod with the termination message), and the
// writes of one more reconcile, which a pass with nothing changed must leave empty.
import { Labels, MANAGED_BY, type RunnerResult } from '../../core/index.ts';
import { JOBS, PODS } from '../../kube/resource-type.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { MemoryCluster } from '../../runtime/testing/memory-cluster.ts';

/** Jobs in `namespace` whose owner is named by `ownerLabel` (e.g. lifeboat.dev/backup-run) = `owner`. */
export function playJobController(cluster: MemoryCluster, namespace: string, ownerLabel: string, owner: string) {
  const { client } = cluster;
  const job = (name: string) => {
    const found = client.peek<KubeObject>(JOBS, namespace, name);
    if (!found) throw new Error(`no Job ${name}; Jobs: ${JSON.stringify(client.writes.filter((write) => write.type === JOBS).map((write) => write.name))}`);
    return found;
  };
  return {
    running(name: string, startTime: string): void {
      client.set(JOBS, { ...job(name), status: { startTime, active: 1 } });
    },
    succeeded(name: string, result: RunnerResult, startTime: string, completionTime: string): void {
      client.set(PODS, {
        metadata: {
          name: `${name}-pod`,
          namespace,
          creationTimestamp: startTime,
          labels: { [Labels.managedBy]: MANAGED_BY, [ownerLabel]: owner, 'batch.kubernetes.io/job-name': name },
        },
        status: { containerStatuses: [{ name: 'runner', state: { terminated: { exitCode: 0, message: JSON.stringify(result), finishedAt: completionTime } } }] },
      } as KubeObject);
      client.set(JOBS, { ...job(name), status: { startTime, completionTime, succeeded: 1, conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: completionTime }] } });
    },
  };
}

/** One more pass, nothing having changed: the writes it made. */
export async function writesOfOneMorePass(cluster: MemoryCluster, reconcile: () => Promise<unknown>) {
  const before = cluster.client.writes.length;
  await reconcile();
  return cluster.client.writes.slice(before);
}
