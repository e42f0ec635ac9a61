// What a BackupRun's read-back (the verify Job) means for its conditions, in one place for the
// two ways a verdict reaches a run: its own verify Job (decide-backup-run.ts), and the verdict
// stored next to the run manifest when catalog sync recreates the run from the bucket
// (src/core/catalog). Either way a run whose read-back failed must look failed to kstatus, Argo CD
// and Flux, though its phase stays Succeeded (its Jobs did; Verified says what did not).
import { ConditionReasons, type Condition } from '../../api/index.ts';
import { findCondition } from '../conditions.ts';
import { failed, inProgress, type Health } from '../health.ts';
import type { Phase } from './run-progress.ts';

export const RunConditionReasons = {
  InvalidSpec: ConditionReasons.InvalidSpec,
  ReferenceNotFound: ConditionReasons.ReferenceNotFound,
  Verifying: 'Verifying',
  ChecksumsMatch: 'ChecksumsMatch',
  VerificationFailed: 'VerificationFailed',
} as const;

/** Verified=True's message. */
export const CHECKSUMS_MATCH_MESSAGE = 'every artifact was read back; its size and SHA-256 match the manifest';

/** Verified=False's reason from the runner's failure code: ChecksumMismatch as such, anything else VerificationFailed. */
export function failedVerificationReason(code: string | undefined): string {
  return code === 'ChecksumMismatch' ? 'ChecksumMismatch' : RunConditionReasons.VerificationFailed;
}

/**
 * A Succeeded run whose artifacts are being read back is still in progress, and one whose
 * read-back failed has failed: a backup that cannot be read back must not look like a good one
 * to kstatus, Argo CD or Flux, though its Jobs all succeeded (the phase stays Succeeded: the
 * Jobs did, and the Verified condition says what did not). Undefined when Verified decides nothing.
 */
export function verificationHealth(phase: Phase, conditions: readonly Condition[]): Health | undefined {
  const verified = findCondition(conditions, 'Verified');
  if (phase !== 'Succeeded' || !verified || verified.status === 'True') return undefined;
  if (verified.status === 'False') return failed(verified.reason, verified.message);
  return inProgress(verified.reason, verified.message);
}
