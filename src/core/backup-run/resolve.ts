// What a run backs up and where to: its own spec when the schedule copied them in, else what an
// earlier reconcile resolved into status, else (the first reconcile of a "back up now" run with
// only scheduleRef) the schedule's current sources, storage and job template.
import type { BackupSource, BackupStorage, JobTemplate } from '../../api/index.ts';
import { Labels } from '../metadata.ts';
import type { ObservedBackupRun } from './types.ts';

export type Resolution =
  | {
      ok: true;
      sources: BackupSource[];
      storage: BackupStorage;
      jobTemplate?: JobTemplate | undefined;
      schedule?: string | undefined;
      /** Field path prefix for messages: where the user fixes things. */
      origin: string;
      /** Copied from the schedule in this pass: write them into status.resolved. */
      fromSchedule: boolean;
    }
  | { ok: false; message: string };

export function resolveRun(observed: Pick<ObservedBackupRun, 'run' | 'schedule'>): Resolution {
  const { spec, status, metadata } = observed.run;
  const scheduleName = spec.scheduleRef?.name ?? metadata.labels?.[Labels.schedule];
  if (spec.sources && spec.storage) {
    return { ok: true, sources: spec.sources, storage: spec.storage, jobTemplate: spec.jobTemplate, schedule: scheduleName, origin: 'spec', fromSchedule: false };
  }
  const resolved = status?.resolved;
  if (resolved?.sources && resolved.storage) {
    return {
      ok: true,
      sources: resolved.sources,
      storage: resolved.storage,
      jobTemplate: resolved.jobTemplate,
      schedule: resolved.schedule ?? scheduleName,
      origin: `BackupSchedule ${resolved.schedule ?? scheduleName} spec`,
      fromSchedule: false,
    };
  }
  const schedule = observed.schedule;
  if (!spec.scheduleRef || !schedule || schedule.name !== spec.scheduleRef.name) {
    return {
      ok: false,
      message: `BackupSchedule "${spec.scheduleRef?.name ?? ''}" (spec.scheduleRef) does not exist; create it or fix scheduleRef`,
    };
  }
  return {
    ok: true,
    sources: schedule.spec.sources,
    storage: schedule.spec.storage,
    jobTemplate: spec.jobTemplate ?? schedule.spec.jobTemplate,
    schedule: schedule.name,
    origin: `BackupSchedule ${schedule.name} spec`,
    fromSchedule: true,
  };
}
