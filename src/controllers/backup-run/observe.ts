// What decideBackupRun reads: the run (parsed), its schedule, its Jobs with the runner's result
// from their pods, and the Secrets it names (names and keys only), the last two through the
// shared Job-set observation (src/controllers/job-set/observe.ts).
import { BackupRun, BackupScheduleSpec } from '../../api/index.ts';
import { Labels, secretNamesToObserve, type ObservedBackupRun } from '../../core/index.ts';
import type { KubeApi } from '../../kube/kube-api.ts';
import type { BackupInformers, StoredRun } from '../informers.ts';
import { observeJobs, observeSecrets } from '../job-set/observe.ts';
import { parseOrFail } from '../parse.ts';

export interface ObserveRunInput {
  client: KubeApi;
  informers: BackupInformers;
  object: StoredRun;
  signal: AbortSignal;
}

export async function observeRun({ client, informers, object, signal }: ObserveRunInput): Promise<ObservedBackupRun> {
  const namespace = object.metadata.namespace ?? '';
  const name = object.metadata.name ?? '';
  const run = parseOrFail(BackupRun, object, `BackupRun ${namespace}/${name}`);
  const schedule = observeSchedule(informers, namespace, run.spec.scheduleRef?.name);
  const jobs = await observeJobs(client, informers, { namespace, label: Labels.backupRun, owner: name }, signal);
  const secrets = await observeSecrets(client, namespace, secretNamesToObserve({ run, schedule, jobs }), signal);
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
