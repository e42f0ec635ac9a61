// What decideDrillRun reads and what it asks for. The I/O layer observes the run, its drill
// (for a run created by hand), the BackupSchedule's spec (where the backups are, never its
// status), the run manifests in that storage (until a backup is chosen), the run's Jobs with
// the runner's results, and the Secrets it names; then it carries out the actions in order.
import type { BackupScheduleSpec, BackupStorage, DRDrillRun, DRDrillRunStatus, DrillPlan } from '../../api/index.ts';
import type { RunManifest, RunVerification } from '../../contract/manifests.ts';
import type { Decision, JobSetAction, ObservedJob, ObservedSecret, PreflightConfig } from '../job-set/index.ts';
import type { RunnerJobOptions } from '../jobs/runner-job.ts';

export interface StoredManifest {
  key: string;
  manifest: RunManifest;
  /** The verify task's verdict stored next to the manifest; undefined when there is none or it is unreadable. */
  verification?: RunVerification | undefined;
}

export interface ObservedDrillRun {
  run: DRDrillRun;
  /** The DRDrill of spec.drillRef; undefined when it does not exist. */
  drill?: { name: string; plan: DrillPlan } | undefined;
  /** The schedule of the plan's scheduleRef: only its spec is read. */
  schedule?: { name: string; spec: BackupScheduleSpec } | undefined;
  /**
   * The run manifests under the schedule's folder in storage with their stored verdicts, listed
   * while no backup is chosen yet; `error` when storage could not be read (the drill fails with NoBackup if it stays so).
   */
  catalog?: { entries: StoredManifest[]; error?: string | undefined } | undefined;
  jobs: ObservedJob[];
  /** The Secrets of drillSecretNames() that exist. */
  secrets: ObservedSecret[];
}

export interface DrillRunConfig extends PreflightConfig {
  runner: RunnerJobOptions;
  /** The operator's version, written into the report. */
  operatorVersion: string;
}

export const DEFAULT_DRILL_RUN_CONFIG: Omit<DrillRunConfig, 'runner' | 'operatorVersion'> = {
  missingReferenceGraceMs: 10 * 60_000,
  recheckAfterMs: 15_000,
};

export type DrillRunAction =
  | JobSetAction
  /** Write the report next to the backups; the status that names it is written only after. */
  | { type: 'WriteReport'; storage: BackupStorage; objects: { key: string; body: string; contentType: string }[] };

export type DrillRunDecision = Decision<DRDrillRunStatus, DrillRunAction>;
export type DrillStepStatus = NonNullable<DRDrillRunStatus['steps']>[number];
export type DrillCheckStatus = NonNullable<DRDrillRunStatus['checks']>[number];
