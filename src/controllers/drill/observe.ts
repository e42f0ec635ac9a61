// What decideDrill reads, all from the caches: the drill (spec parsed, problems), whether its
// BackupSchedule exists, and every DRDrillRun of it (its own, and those created by hand with
// drillRef to it).
import { DRDrillSpec, GROUP, validateDRDrill, type DRDrill, type DRDrillRun } from '../../api/index.ts';
import { runBelongsToDrill, toDrillRunView, type ObservedDrill } from '../../core/drill/index.ts';
import { Labels } from '../../core/index.ts';
import { parseTime } from '../../core/time.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { InformerFactory } from '../../runtime/informer-factory.ts';
import type { Informer } from '../../runtime/informer.ts';
import { labelKeys, objectKey, ownerKeys, type ObjectKey } from '../../runtime/object-key.ts';
import type { StoredSchedule } from '../informers.ts';
import { parseOrFail } from '../parse.ts';
import { BACKUP_SCHEDULES, DR_DRILL_RUNS, DR_DRILLS } from '../resource-types.ts';

/** DRDrill and DRDrillRun as the API server sends them; parsed where they are used. */
export type StoredDrill = DRDrill & KubeObject;
export type StoredDrillRun = DRDrillRun & KubeObject;

export interface DrillInformers {
  drills: Informer<StoredDrill>;
  runs: Informer<StoredDrillRun>;
  schedules: Informer<StoredSchedule>;
}

export function drillInformers(factory: InformerFactory): DrillInformers {
  return {
    drills: factory.informerFor<StoredDrill>(DR_DRILLS),
    runs: factory.informerFor<StoredDrillRun>(DR_DRILL_RUNS),
    schedules: factory.informerFor<StoredSchedule>(BACKUP_SCHEDULES),
  };
}

export function observeDrill(drill: StoredDrill, informers: DrillInformers): ObservedDrill {
  const name = drill.metadata.name ?? '';
  const namespace = drill.metadata.namespace ?? '';
  const uid = drill.metadata.uid ?? '';
  const spec = parseOrFail(DRDrillSpec, drill.spec, `DRDrill ${namespace}/${name} spec`);
  const schedule = informers.schedules.get(namespace, spec.scheduleRef.name);
  return {
    name,
    namespace,
    uid,
    generation: drill.metadata.generation ?? 0,
    creationTime: parseTime(drill.metadata.creationTimestamp) ?? new Date(0),
    spec,
    status: drill.status,
    problems: validateDRDrill(spec),
    scheduleExists: schedule !== undefined && schedule.metadata.deletionTimestamp === undefined,
    runs: runsOf(informers, { namespace, name, uid }).map((run) => toDrillRunView(run, name)),
  };
}

export function runsOf(informers: Pick<DrillInformers, 'runs'>, drill: { namespace: string; name: string; uid: string }): StoredDrillRun[] {
  return informers.runs.list(drill.namespace).filter((run) => runBelongsToDrill(run, drill));
}

/** A run concerns its drill: owner reference, label, or drillRef (a run created by hand). */
export function drillKeysOfRun(run: KubeObject & { spec?: { drillRef?: { name: string } | undefined } }): ObjectKey[] {
  const keys = new Set([...ownerKeys(run, { kind: 'DRDrill', group: GROUP }), ...labelKeys(run, Labels.drill)]);
  const ref = run.spec?.drillRef?.name;
  if (ref) keys.add(objectKey(run.metadata.namespace, ref));
  return [...keys];
}

/** A schedule appearing, changing or going concerns the drills that name it. */
export function drillKeysOfSchedule(informers: Pick<DrillInformers, 'drills'>, schedule: KubeObject): ObjectKey[] {
  const namespace = schedule.metadata.namespace;
  return informers.drills
    .list(namespace)
    .filter((drill) => drill.spec?.scheduleRef?.name === schedule.metadata.name)
    .map((drill) => objectKey(namespace, drill.metadata.name ?? ''));
}
