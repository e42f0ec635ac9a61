// Which primary objects a change concerns: a BackupRun concerns its schedule (owner reference,
// label or scheduleRef, for runs created by hand), a Job or pod its BackupRun (label).
import { GROUP } from '../api/index.ts';
import { Labels } from '../core/index.ts';
import type { KubeObject } from '../kube/types.ts';
import { labelKeys, objectKey, ownerKeys, type ObjectKey } from '../runtime/object-key.ts';

export function scheduleKeysOfRun(run: KubeObject & { spec?: { scheduleRef?: { name: string } | undefined } }): ObjectKey[] {
  const keys = new Set([...ownerKeys(run, { kind: 'BackupSchedule', group: GROUP }), ...labelKeys(run, Labels.schedule)]);
  const ref = run.spec?.scheduleRef?.name;
  if (ref) keys.add(objectKey(run.metadata.namespace, ref));
  return [...keys];
}

export function runKeysOfChild(child: KubeObject): ObjectKey[] {
  return labelKeys(child, Labels.backupRun);
}
