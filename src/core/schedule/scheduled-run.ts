// The BackupRun a schedule creates for one cron time: a deterministic name, an owner reference
// to the schedule, and copies of the schedule's sources, storage and job template, so that a
// later change to the schedule never changes a run that has started. It is created with the
// finalizer its deletionPolicy Delete calls for (the operator adds the same to a run made by
// hand): the run's first pass then goes straight to its Jobs, without a finalizer patch and
// the wait for its answer in front of them, at every cron instant of every schedule.
import { API_VERSION, type BackupRun, type BackupScheduleSpec } from '../../api/index.ts';
import { Annotations, ARTIFACTS_FINALIZER, controllerReference, Labels, MANAGED_BY } from '../metadata.ts';
import { formatTime } from '../time.ts';
import { scheduledRunName } from './run-name.ts';

export interface ScheduleIdentity {
  name: string;
  namespace: string;
  uid: string;
}

export function buildScheduledRun(schedule: ScheduleIdentity, spec: BackupScheduleSpec, scheduledTime: Date): BackupRun {
  return {
    apiVersion: API_VERSION as BackupRun['apiVersion'],
    kind: 'BackupRun',
    metadata: {
      name: scheduledRunName(schedule.name, scheduledTime),
      namespace: schedule.namespace,
      labels: { [Labels.managedBy]: MANAGED_BY, [Labels.schedule]: schedule.name },
      annotations: { [Annotations.scheduledTime]: formatTime(scheduledTime) },
      ownerReferences: [controllerReference({ kind: 'BackupSchedule', name: schedule.name, uid: schedule.uid })],
      finalizers: [ARTIFACTS_FINALIZER],
    },
    spec: {
      scheduleRef: { name: schedule.name },
      sources: structuredClone(spec.sources),
      storage: structuredClone(spec.storage),
      ...(spec.jobTemplate ? { jobTemplate: structuredClone(spec.jobTemplate) } : {}),
      deletionPolicy: 'Delete',
    },
  };
}
