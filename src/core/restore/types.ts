// What decideRestore reads and what it asks for. The I/O layer observes the RestoreRequest, the
// BackupRuns of its namespace (as candidates to restore), its Jobs (with the runner's result)
// and the Secrets it names, then carries out the actions in order.
import type { BackupStorage, RestoreRequest, RestoreRequestStatus } from '../../api/index.ts';
import type { Decision, JobSetAction, ObservedJob, ObservedSecret, PreflightConfig } from '../job-set/index.ts';
import type { VerifiedStatus } from '../backup-run/usable-backup.ts';
import type { RunnerJobOptions } from '../jobs/runner-job.ts';

/** A BackupRun as a restore sees it: what it holds and where it is stored. */
export interface BackupCandidate {
  name: string;
  /** The schedule it belongs to (label, scheduleRef or what it was resolved from). */
  schedule?: string | undefined;
  phase?: string | undefined;
  /** Its Verified condition's status: only a usable run is restored (src/core/backup-run/usable-backup.ts). */
  verified?: VerifiedStatus;
  /** Why its read-back failed ("ChecksumMismatch: ..."), when Verified is False. */
  verificationFailure?: string | undefined;
  snapshotTime?: string | undefined;
  manifestKey?: string | undefined;
  storage?: BackupStorage | undefined;
  artifacts: { source: string; type?: 'Postgres' | 'Bucket' | undefined; phase?: string | undefined; encrypted?: boolean | undefined }[];
  deleting: boolean;
}

export interface ObservedRestore {
  restore: RestoreRequest;
  /** The BackupRuns of the namespace; only the selected one matters once status names it. */
  runs: BackupCandidate[];
  jobs: ObservedJob[];
  /** The Secrets of restoreSecretNames() that exist. */
  secrets: ObservedSecret[];
}

export interface RestoreConfig extends PreflightConfig {
  runner: RunnerJobOptions;
}

export const DEFAULT_RESTORE_CONFIG: Omit<RestoreConfig, 'runner'> = {
  missingReferenceGraceMs: 10 * 60_000,
  recheckAfterMs: 15_000,
};

export type RestoreAction = JobSetAction;
export type RestoreDecision = Decision<RestoreRequestStatus, RestoreAction>;
export type RestoreTargetStatus = NonNullable<RestoreRequestStatus['targets']>[number];
export type ResolvedBackup = NonNullable<RestoreRequestStatus['backup']>;
