// What a Job-set owner's decision reads from the cluster besides the owner itself: its Jobs
// (found by the owner's label, with the runner's result read from their pods) and the Secrets
// it names (names and keys only: values are dropped here, so they cannot reach status or logs).
import type { ObservedJob, ObservedSecret, PodTermination } from '../../core/job-set/index.ts';
import { runnerResultFromPods, succeededPodFinishedAt } from '../../core/job-set/index.ts';
import type { KubeApi } from '../../kube/kube-api.ts';
import { PODS, SECRETS } from '../../kube/resource-type.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { Informer } from '../../runtime/informer.ts';

/** The label the Job controller puts on a Job's pods. */
const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

interface JobObject extends KubeObject {
  status?: {
    conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[];
    startTime?: string;
    completionTime?: string;
    active?: number;
    succeeded?: number;
    failed?: number;
  };
}

type PodObject = KubeObject & PodTermination;

interface SecretObject extends KubeObject {
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

export interface JobSetSelector {
  namespace: string;
  /** The label that names the owner on its Jobs and their pods, and its value. */
  label: string;
  owner: string;
}

export async function observeJobs(
  client: KubeApi,
  informers: { jobs: Informer<KubeObject>; pods: Informer<KubeObject> },
  { namespace, label, owner }: JobSetSelector,
  signal: AbortSignal,
): Promise<ObservedJob[]> {
  const jobs = (informers.jobs.list(namespace) as JobObject[]).filter((job) => job.metadata.labels?.[label] === owner);
  const pods = (informers.pods.list(namespace) as PodObject[]).filter((pod) => pod.metadata.labels?.[label] === owner);
  const observed: ObservedJob[] = [];
  for (const job of jobs) {
    const jobName = job.metadata.name ?? '';
    const jobPods = pods.filter((pod) => pod.metadata.labels?.[JOB_NAME_LABEL] === jobName);
    let result = runnerResultFromPods(jobPods);
    if (!result && isFinished(job)) {
      // The Job controller saw the pod finish, so the API server has its termination message
      // even if the pod cache is a moment behind: read it there rather than record no result.
      const live = await client.list<PodObject>(PODS, { namespace, labelSelector: `${JOB_NAME_LABEL}=${jobName}`, signal });
      result = runnerResultFromPods(live.items);
    }
    const status = job.status ?? {};
    observed.push({
      name: jobName,
      conditions: status.conditions,
      startTime: status.startTime,
      completionTime: status.completionTime,
      active: status.active,
      succeeded: status.succeeded,
      failed: status.failed,
      result,
      podSucceededAt: succeededPodFinishedAt(jobPods),
      deleting: job.metadata.deletionTimestamp !== undefined,
    });
  }
  return observed;
}

function isFinished(job: JobObject): boolean {
  return (job.status?.conditions ?? []).some(
    (condition) => condition.status === 'True' && ['Complete', 'Failed', 'SuccessCriteriaMet', 'FailureTarget'].includes(condition.type),
  );
}

export async function observeSecrets(client: KubeApi, namespace: string, names: readonly string[], signal: AbortSignal): Promise<ObservedSecret[]> {
  // Read side by side: they do not depend on each other, and a first pass waits for all of them.
  const found = await Promise.all(names.map((name) => client.find<SecretObject>(SECRETS, namespace, name, { signal })));
  return found.flatMap((secret, index) =>
    secret ? [{ name: names[index]!, keys: [...new Set([...Object.keys(secret.data ?? {}), ...Object.keys(secret.stringData ?? {})])] }] : [],
  );
}
