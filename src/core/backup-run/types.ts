// What decideBackupRun reads and what it asks for. The I/O layer observes the run, its schedule,
// its Jobs (with the runner's result from their pods) and the Secrets it references, then
// carries out the actions in order, stopping at the first that fails.
import type { V1Job } from '@kubernetes/client-node';
import type { BackupRun, BackupRunStatus, BackupScheduleSpec, BackupStorage } from '../../api/index.ts';
import type { RecordEvent } from '../events.ts';
import type { RunnerJobOptions } from '../jobs/runner-job.ts';
import type { RunLocation } from '../jobs/task-specs.ts';
import type { RunnerResult } from './runner-result.ts';

/** A Job of the run (label lifeboat.dev/backup-run), as the API server reports it. */
export interface ObservedJob {
  name: string;
  conditions?: { type: string; status: string; reason?: string | undefined; message?: string | undefined; lastTransitionTime?: string | undefined }[] | undefined;
  startTime?: string | undefined;
  completionTime?: string | undefined;
  active?: number | undefined;
  succeeded?: number | undefined;
  failed?: number | undefined;
  /** runnerResultFromPods() over the Job's pods; undefined while none has finished. */
  result?: RunnerResult | undefined;
  deleting?: boolean | undefined;
}

/** A Secret that exists, with the keys of its data. Never its values. */
export interface ObservedSecret {
  name: string;
  keys: string[];
}

export interface ObservedBackupRun {
  run: BackupRun;
  /** The BackupSchedule named by spec.scheduleRef; undefined when there is none or it does not exist. */
  schedule?: { name: string; uid: string; spec: BackupScheduleSpec; deleting: boolean } | undefined;
  jobs: ObservedJob[];
  /** The Secrets of secretNamesToObserve() that exist. */
  secrets: ObservedSecret[];
}

export interface BackupRunConfig {
  runner: RunnerJobOptions;
  /** Read every artifact back after the run manifest is written (Verified condition). */
  verify: boolean;
  /** How long a run waits for a missing schedule or Secret before it fails. */
  missingReferenceGraceMs: number;
  /** How often a run that waits for a Secret looks again (Secrets are not watched). */
  recheckAfterMs: number;
}

export const DEFAULT_BACKUP_RUN_CONFIG: Omit<BackupRunConfig, 'runner'> = {
  verify: true,
  missingReferenceGraceMs: 10 * 60_000,
  recheckAfterMs: 15_000,
};

export type BackupRunAction =
  | { type: 'AddFinalizer'; finalizer: string }
  | { type: 'RemoveFinalizer'; finalizer: string }
  | { type: 'CreateJob'; job: V1Job }
  /** Foreground propagation: the Job stays until its pods are gone. */
  | { type: 'DeleteJob'; name: string }
  /** Delete every object under `prefix` in the storage bucket (the run's folder). */
  | { type: 'DeleteArtifacts'; storage: BackupStorage; location: RunLocation; prefix: string }
  | RecordEvent;

export interface BackupRunDecision {
  actions: BackupRunAction[];
  status: BackupRunStatus;
  statusChanged: boolean;
  requeueAfterMs?: number | undefined;
}
