// What decideBackupRun reads and what it asks for. The I/O layer observes the run, its schedule,
// its Jobs (with the runner's result from their pods) and the Secrets it references, then
// carries out the actions in order, stopping at the first that fails. The Job-set pieces
// (observed Jobs and Secrets, the common actions, the decision) are shared with the other
// kinds that run Jobs: src/core/job-set/.
import type { BackupRun, BackupRunStatus, BackupScheduleSpec, BackupStorage } from '../../api/index.ts';
import type { Decision, JobSetAction, ObservedJob, ObservedSecret, PreflightConfig } from '../job-set/index.ts';
import type { RunnerJobOptions } from '../jobs/runner-job.ts';
import type { RunLocation } from '../jobs/task-specs.ts';

export type { ObservedJob, ObservedSecret } from '../job-set/index.ts';

export interface ObservedBackupRun {
  run: BackupRun;
  /** The BackupSchedule named by spec.scheduleRef; undefined when there is none or it does not exist. */
  schedule?: { name: string; uid: string; spec: BackupScheduleSpec; deleting: boolean } | undefined;
  jobs: ObservedJob[];
  /** The Secrets of secretNamesToObserve() that exist. */
  secrets: ObservedSecret[];
}

export interface BackupRunConfig extends PreflightConfig {
  runner: RunnerJobOptions;
  /** Read every artifact back after the run manifest is written (Verified condition). */
  verify: boolean;
}

export const DEFAULT_BACKUP_RUN_CONFIG: Omit<BackupRunConfig, 'runner'> = {
  verify: true,
  missingReferenceGraceMs: 10 * 60_000,
  recheckAfterMs: 15_000,
};

export type BackupRunAction =
  | JobSetAction
  /** Delete every object under `prefix` in the storage bucket (the run's folder). */
  | { type: 'DeleteArtifacts'; storage: BackupStorage; location: RunLocation; prefix: string };

export type BackupRunDecision = Decision<BackupRunStatus, BackupRunAction>;
