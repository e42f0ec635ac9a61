// Each source's state, from its Job when there is one and from what status already recorded.
// A recorded Succeeded or Failed is final (a Job deleted by ttlSecondsAfterFinished keeps its
// result in status), and a Job that vanished after it was seen running is never recreated: that
// would silently back up twice.
import { formatBytes, type BackupSource, type BackupRunStatus } from '../../api/index.ts';
import { compact } from '../same-status.ts';
import { parseTime } from '../time.ts';
import { backupJobName } from '../jobs/backup-job.ts';
import { jobOutcome } from './job-outcome.ts';
import { backupSummary } from './runner-result.ts';
import type { ObservedJob } from './types.ts';

export type ArtifactStatus = NonNullable<BackupRunStatus['artifacts']>[number];

export interface SourceState {
  source: BackupSource;
  jobName: string;
  artifact: ArtifactStatus;
  /** No Job yet and none should exist: create it (if the run may start Jobs). */
  needsJob: boolean;
  startedAt?: Date | undefined;
  finishedAt?: Date | undefined;
  snapshotTime?: Date | undefined;
}

export const isFinal = (phase: ArtifactStatus['phase']) => phase === 'Succeeded' || phase === 'Failed';

export function sourceState(source: BackupSource, run: string, recorded: ArtifactStatus | undefined, job: ObservedJob | undefined): SourceState {
  const jobName = backupJobName(run, source.name);
  const type = source.postgres ? ('Postgres' as const) : ('Bucket' as const);
  const base = { source, jobName, needsJob: false };
  if (recorded && isFinal(recorded.phase)) {
    return { ...base, artifact: recorded, ...(job ? timesOf(job) : {}) };
  }
  if (!job) {
    if (recorded?.phase === 'Running') {
      return {
        ...base,
        artifact: compact({
          source: source.name,
          type,
          phase: 'Failed' as const,
          jobName,
          message: `Job ${jobName} disappeared before its result was recorded (deleted by hand, or ttlSecondsAfterFinished too short?); it is not started again, to avoid a second backup`,
        }),
      };
    }
    return { ...base, needsJob: true, artifact: { source: source.name, type, phase: 'Pending', jobName } };
  }
  const outcome = jobOutcome(job);
  const times = timesOf(job);
  if (outcome.state === 'Succeeded') {
    const summary = backupSummary(job.result);
    return {
      ...base,
      ...times,
      snapshotTime: parseTime(summary.snapshotTime),
      artifact: compact({
        source: source.name,
        type,
        phase: 'Succeeded' as const,
        jobName,
        key: summary.key,
        sizeBytes: summary.sizeBytes,
        size: summary.sizeBytes === undefined ? undefined : formatBytes(summary.sizeBytes),
        sha256: summary.sha256,
        encrypted: summary.encrypted,
        objectCount: summary.objects,
        tableCount: summary.tables,
        rowCount: summary.rows,
        message: job.result?.ok ? undefined : 'the runner\'s result could not be read; see the artifact manifest in storage',
      }),
    };
  }
  return {
    ...base,
    ...times,
    artifact: compact({ source: source.name, type, phase: outcome.state, jobName, message: outcome.message }),
  };
}

function timesOf(job: ObservedJob) {
  const outcome = jobOutcome(job);
  return { startedAt: outcome.startedAt, finishedAt: outcome.finishedAt };
}
