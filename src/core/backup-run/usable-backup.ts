// What a usable backup is: the one definition that restores, retention, the schedule's newest
// successful backup and RPO, and the metrics all read, so that a backup that failed never looks
// like a good one anywhere (docs/adr/0013, amendment).
//
// A BackupRun is usable when its phase is Succeeded and its Verified condition is True or absent.
// - Verified False (ChecksumMismatch, VerificationFailed): its artifacts could not be read back
//   as the manifest says. The phase stays Succeeded (its Jobs did), but it is a failed backup:
//   no restore picks it, retention does not count it, it is not the newest successful backup.
// - Verified Unknown (Verifying): the read-back is still running. Not usable *yet*: a restore's
//   choice is final, so one that picked a run about to fail its read-back would be bound to it,
//   and retention that counted it as a kept backup could delete the older good one it replaces
//   (keepLast 1) minutes before it turns out unreadable. A restore waits for it (by name, or as
//   the schedule's newest: src/core/restore/select-backup.ts); the wait is one read of the
//   backup. Retention keeps it without counting it; the schedule's newest successful backup,
//   RPO and health go on from the run before it until it is verified.
// - No Verified condition: nothing will verify it (verification is off in the operator, or the run
//   was recreated from the catalog, which never reads backups back, and found no read-back verdict
//   stored with it; one it found becomes the run's Verified condition): usable, as before Verified
//   existed. A restore still checks every artifact's size and SHA-256 as it reads it.
import type { BackupRun } from '../../api/index.ts';
import { findCondition } from '../conditions.ts';

/** The status of a run's Verified condition; undefined when it has none. */
export type VerifiedStatus = 'True' | 'False' | 'Unknown' | undefined;

/** Just what the verdict reads, so that each view of a run (restore candidate, schedule run view) can be asked. */
export interface BackupOutcome {
  phase?: string | undefined;
  verified?: VerifiedStatus;
}

export type BackupUsability =
  /** Succeeded, and read back or never to be. */
  | 'usable'
  /** Succeeded, its artifacts still being read back. */
  | 'verifying'
  /** Succeeded, but its artifacts failed the read-back: a failed backup. */
  | 'verificationFailed'
  /** Not Succeeded (yet, or ever): Pending, Running, Failed, PartiallyFailed or not started. */
  | 'notSucceeded';

export function backupUsability(run: BackupOutcome): BackupUsability {
  if (run.phase !== 'Succeeded') return 'notSucceeded';
  if (run.verified === 'False') return 'verificationFailed';
  if (run.verified === 'Unknown') return 'verifying';
  return 'usable';
}

export function isUsableBackup(run: BackupOutcome): boolean {
  return backupUsability(run) === 'usable';
}

/** A run that finished as a failure: Failed, PartiallyFailed, or Succeeded with a failed read-back. */
export function isFailedBackup(run: BackupOutcome): boolean {
  return run.phase === 'Failed' || run.phase === 'PartiallyFailed' || backupUsability(run) === 'verificationFailed';
}

export function verifiedStatusOf(run: Pick<BackupRun, 'status'>): VerifiedStatus {
  const status = findCondition(run.status?.conditions, 'Verified')?.status;
  return status === 'True' || status === 'False' || status === 'Unknown' ? status : undefined;
}

/** Why the read-back failed, for messages: "ChecksumMismatch: ..."; undefined unless Verified is False. */
export function verificationFailureOf(run: Pick<BackupRun, 'status'>): string | undefined {
  const condition = findCondition(run.status?.conditions, 'Verified');
  if (condition?.status !== 'False') return undefined;
  return condition.message ? `${condition.reason}: ${condition.message}` : condition.reason;
}
