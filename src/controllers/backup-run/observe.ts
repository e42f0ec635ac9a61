// What decideBackupRun reads: the run (parsed), its schedule, its Jobs with the runner's result
// from their pods, and the Secrets it names (names and keys only: values are dropped here).
import { BackupRun, BackupScheduleSpec } from '../../api/index.ts';
import { Labels, runnerResultFromPods, secretNamesToObserve, type ObservedBackupRun, type ObservedJob, type ObservedSecret, type PodTermination } from '../../core/index.ts';
import type { KubeClient } from '../../kube/client.ts';
import { PODS, SECRETS } from '../../kube/resource-type.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { BackupInformers, StoredRun } from '../informers.ts';
import { parseOrFail } from '../parse.ts';

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

export interface ObserveRunInput {
  client: KubeClient;
  informers: BackupInformers;
  object: StoredRun;
  signal: AbortSignal;
}

export async function observeRun({ client, informers, object, signal }: ObserveRunInput): Promise<ObservedBackupRun> {
  const namespace = object.metadata.namespace ?? '';
  const name = object.metadata.name ?? '';
  const run = parseOrFail(BackupRun, object, `BackupRun ${namespace}/${name}`);
  const schedule = observeSchedule(informers, namespace, run.spec.scheduleRef?.name);
  const jobs = await observeJobs(client, informers, namespace, name, signal);
  const secrets = await observeSecrets(client, namespace, secretNamesToObserve({ run, schedule }), signal);
  return { run, schedule, jobs, secrets };
}

function observeSchedule(informers: BackupInformers, namespace: string, name: string | undefined): ObservedBackupRun['schedule'] {
  if (!name) return undefined;
  const schedule = informers.schedules.get(namespace, name);
  if (!schedule) return undefined;
  const spec = BackupScheduleSpec.safeParse(schedule.spec);
  // A schedule whose spec does not parse is reported on the schedule itself; the run waits as for a missing one.
  if (!spec.success) return undefined;
  return { name, uid: schedule.metadata.uid ?? '', spec: spec.data, deleting: schedule.metadata.deletionTimestamp !== undefined };
}

async function observeJobs(client: KubeClient, informers: BackupInformers, namespace: string, run: string, signal: AbortSignal): Promise<ObservedJob[]> {
  const jobs = (informers.jobs.list(namespace) as JobObject[]).filter((job) => job.metadata.labels?.[Labels.backupRun] === run);
  const pods = (informers.pods.list(namespace) as PodObject[]).filter((pod) => pod.metadata.labels?.[Labels.backupRun] === run);
  const observed: ObservedJob[] = [];
  for (const job of jobs) {
    const jobName = job.metadata.name ?? '';
    let result = runnerResultFromPods(pods.filter((pod) => pod.metadata.labels?.[JOB_NAME_LABEL] === jobName));
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

async function observeSecrets(client: KubeClient, namespace: string, names: string[], signal: AbortSignal): Promise<ObservedSecret[]> {
  const secrets: ObservedSecret[] = [];
  for (const name of names) {
    const secret = await client.find<SecretObject>(SECRETS, namespace, name, { signal });
    if (secret) secrets.push({ name, keys: [...new Set([...Object.keys(secret.data ?? {}), ...Object.keys(secret.stringData ?? {})])] });
  }
  return secrets;
}
