// The deciding core: pure functions from what is to what to do (STYLE #2). The I/O layer
// (src/operator) observes, calls these with the current time, and carries out the actions.
export { decideSchedule, ScheduleReasons } from './schedule/decide-schedule.ts';
export type { ObservedSchedule, ScheduleAction, ScheduleDecision } from './schedule/types.ts';
export type { ScheduleRunView } from './schedule-run.ts';
export { runBelongsToSchedule, runViewChanged, toRunView } from './schedule/run-view.ts';
export { scheduledRunName, scheduledTimeOf } from './schedule/run-name.ts';
export { nextFireTime, latestFireTime } from './schedule/cron-times.ts';
export { applyRetention, type RetentionDecision } from './retention/retention.ts';

export { decideBackupRun, RunConditionReasons } from './backup-run/decide-backup-run.ts';
export {
  DEFAULT_BACKUP_RUN_CONFIG,
  type BackupRunAction,
  type BackupRunConfig,
  type BackupRunDecision,
  type ObservedBackupRun,
  type ObservedJob,
  type ObservedSecret,
} from './backup-run/types.ts';
export { secretNamesToObserve } from './backup-run/observe.ts';
export { backupUsability, isFailedBackup, isUsableBackup, verifiedStatusOf, type BackupUsability, type VerifiedStatus } from './backup-run/usable-backup.ts';
export { parseTerminationMessage, runnerResultFromPods, type PodTermination, type RunnerResult } from './job-set/index.ts';

export { buildBackupJob, buildFinalizeJob, buildVerifyJob, backupJobName, stepJobName, type RunForJobs } from './jobs/backup-job.ts';
export type { RunnerJobOptions } from './jobs/runner-job.ts';

export { catalogPrefix, catalogSyncDue, decideCatalogSync, type CatalogAction, type CatalogEntry, type ObservedCatalog } from './catalog/catalog-sync.ts';

export { setCondition, removeCondition, findCondition } from './conditions.ts';
export { sameStatus } from './same-status.ts';
export { Annotations, ARTIFACTS_FINALIZER, Labels, MANAGED_BY, RESTORE_FINALIZER } from './metadata.ts';
export type { CoreEvent, RecordEvent } from './events.ts';
