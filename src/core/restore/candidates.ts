// What the I/O layer derives before deciding: each BackupRun as a candidate to restore, and the
// Secrets to look up (those of the backup the restore will read, and of its targets).
import type { BackupRun } from '../../api/index.ts';
import { verificationFailureOf, verifiedStatusOf } from '../backup-run/usable-backup.ts';
import { secretNames } from '../job-set/index.ts';
import { Labels } from '../metadata.ts';
import { selectBackup } from './select-backup.ts';
import { restoreSecretNeeds } from './target-checks.ts';
import type { BackupCandidate, ObservedRestore } from './types.ts';

export function toCandidate(run: BackupRun): BackupCandidate {
  const { metadata, spec, status } = run;
  return {
    name: metadata.name ?? '',
    schedule: spec.scheduleRef?.name ?? metadata.labels?.[Labels.schedule] ?? status?.resolved?.schedule,
    phase: status?.phase,
    verified: verifiedStatusOf(run),
    verificationFailure: verificationFailureOf(run),
    snapshotTime: status?.snapshotTime,
    manifestKey: status?.manifestKey,
    storage: spec.storage ?? status?.resolved?.storage,
    artifacts: (status?.artifacts ?? []).map((artifact) => ({ source: artifact.source, type: artifact.type, phase: artifact.phase, encrypted: artifact.encrypted })),
    deleting: metadata.deletionTimestamp !== undefined,
  };
}

export function restoreSecretNames(observed: Pick<ObservedRestore, 'restore' | 'runs'>): string[] {
  const { restore, runs } = observed;
  const selection = selectBackup(restore.spec.backup, runs, restore.status?.backup?.name);
  if (!selection.ok) return [];
  return secretNames(restoreSecretNeeds(restore.spec, selection.run));
}
