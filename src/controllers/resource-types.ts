// The REST collections of Lifeboat's own kinds, declared from the same descriptors the CRDs are
// generated from, so a renamed plural cannot drift between the CRD and the operator.
import { crdDescriptors, GROUP, VERSION } from '../api/index.ts';
import type { ResourceType } from '../kube/resource-type.ts';

function lifeboatType(kind: string): ResourceType {
  const descriptor = crdDescriptors.find((candidate) => candidate.kind === kind);
  if (!descriptor) throw new Error(`no CRD descriptor for ${kind}`);
  return { group: GROUP, version: VERSION, kind, plural: descriptor.plural, namespaced: true };
}

export const BACKUP_SCHEDULES = lifeboatType('BackupSchedule');
export const BACKUP_RUNS = lifeboatType('BackupRun');
export const RESTORE_REQUESTS = lifeboatType('RestoreRequest');
export const DR_DRILLS = lifeboatType('DRDrill');
export const DR_DRILL_RUNS = lifeboatType('DRDrillRun');
