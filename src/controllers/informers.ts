// The caches both backup controllers read. The factory shares one list/watch per kind and
// selector, so asking twice costs nothing. Jobs and pods are watched only when Lifeboat made
// them (the managed-by label), never every Job in the cluster.
import type { BackupRun, BackupSchedule } from '../api/index.ts';
import { Labels, MANAGED_BY } from '../core/index.ts';
import { JOBS, PODS } from '../kube/resource-type.ts';
import type { KubeObject } from '../kube/types.ts';
import type { InformerFactory } from '../runtime/informer-factory.ts';
import type { Informer } from '../runtime/informer.ts';
import { BACKUP_RUNS, BACKUP_SCHEDULES } from './resource-types.ts';

export const MANAGED_SELECTOR = `${Labels.managedBy}=${MANAGED_BY}`;

/** BackupSchedule and BackupRun as the API server sends them; parsed where they are used. */
export type StoredSchedule = BackupSchedule & KubeObject;
export type StoredRun = BackupRun & KubeObject;

export interface BackupInformers {
  schedules: Informer<StoredSchedule>;
  runs: Informer<StoredRun>;
  jobs: Informer<KubeObject>;
  pods: Informer<KubeObject>;
}

export function backupInformers(factory: InformerFactory): BackupInformers {
  return {
    schedules: factory.informerFor<StoredSchedule>(BACKUP_SCHEDULES),
    runs: factory.informerFor<StoredRun>(BACKUP_RUNS),
    jobs: factory.informerFor(JOBS, { labelSelector: MANAGED_SELECTOR }),
    pods: factory.informerFor(PODS, { labelSelector: MANAGED_SELECTOR }),
  };
}

/** A typed informer as a related watch takes it (which only reads metadata). */
export function asRelated<T extends KubeObject>(informer: Informer<T>): Informer<KubeObject> {
  return informer as unknown as Informer<KubeObject>;
}
