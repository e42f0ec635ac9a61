// What decideDrillRun reads: the run (parsed), its drill's plan (for a run made by hand), the
// BackupSchedule's spec (where the backups are; its status is never read), the run manifests in
// that storage until a backup is chosen, the run's Jobs with the runner's results, and the
// Secrets it names (keys only).
import { BackupScheduleSpec, DRDrillRun, DRDrillSpec, DrillPlan, type DRDrill } from '../../api/index.ts';
import { catalogPrefix, Labels } from '../../core/index.ts';
import { drillSecretNamesFor, type ObservedDrillRun } from '../../core/drill-run/index.ts';
import type { KubeApi } from '../../kube/kube-api.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { Informer } from '../../runtime/informer.ts';
import type { StoredSchedule } from '../informers.ts';
import { observeJobs, observeSecrets } from '../job-set/observe.ts';
import { parseOrFail } from '../parse.ts';
import { listRunManifests } from '../storage/run-manifests.ts';
import { withStorageClient } from '../storage/storage-client.ts';

export type StoredDrillRun = DRDrillRun & KubeObject;
export type StoredDrill = DRDrill & KubeObject;

export interface DrillRunInformers {
  runs: Informer<StoredDrillRun>;
  drills: Informer<StoredDrill>;
  schedules: Informer<StoredSchedule>;
  jobs: Informer<KubeObject>;
  pods: Informer<KubeObject>;
}

export async function observeDrillRun(client: KubeApi, informers: DrillRunInformers, object: StoredDrillRun, signal: AbortSignal): Promise<ObservedDrillRun> {
  const namespace = object.metadata.namespace ?? '';
  const name = object.metadata.name ?? '';
  const run = parseOrFail(DRDrillRun, object, `DRDrillRun ${namespace}/${name}`);
  const drill = drillOf(informers, namespace, run.spec.drillRef.name);
  const plan = run.spec.plan ?? run.status?.plan ?? drill?.plan;
  const schedule = plan ? scheduleOf(informers, namespace, plan.scheduleRef.name) : undefined;
  const finished = run.status?.result === 'Passed' || run.status?.result === 'Failed';
  const catalog =
    plan && schedule && !run.status?.backup && !finished && !run.metadata.deletionTimestamp ? await listCatalog(client, namespace, schedule, signal) : undefined;
  const jobs = await observeJobs(client, informers, { namespace, label: Labels.drillRun, owner: name }, signal);
  const secrets = plan ? await observeSecrets(client, namespace, drillSecretNamesFor(plan, schedule?.spec.storage, run.status?.backup), signal) : [];
  return { run, drill, schedule, catalog, jobs, secrets };
}

function drillOf(informers: DrillRunInformers, namespace: string, name: string): ObservedDrillRun['drill'] {
  const object = informers.drills.get(namespace, name);
  const spec = object && DRDrillSpec.safeParse(object.spec);
  if (!spec?.success) return undefined;
  return { name, plan: DrillPlan.parse(spec.data) };
}

function scheduleOf(informers: DrillRunInformers, namespace: string, name: string): ObservedDrillRun['schedule'] {
  const object = informers.schedules.get(namespace, name);
  const spec = object && BackupScheduleSpec.safeParse(object.spec);
  return spec?.success ? { name, spec: spec.data } : undefined;
}

/** The run manifests under the schedule's folder; a failure is reported, not thrown (the drill decides how long to wait). */
async function listCatalog(client: KubeApi, namespace: string, schedule: NonNullable<ObservedDrillRun['schedule']>, signal: AbortSignal): Promise<ObservedDrillRun['catalog']> {
  const { storage } = schedule.spec;
  const prefix = catalogPrefix({ name: schedule.name, namespace, spec: schedule.spec });
  try {
    const listing = await withStorageClient(client, namespace, storage, (store) => listRunManifests(store, { bucket: storage.bucket, prefix, endpoint: storage.endpoint }, signal), signal);
    return { entries: listing.entries };
  } catch (error) {
    if (signal.aborted) throw error;
    return { entries: [], error: error instanceof Error ? error.message : String(error) };
  }
}
