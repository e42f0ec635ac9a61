// Each source's state: the shared item state of its Job (src/core/job-set/item-state.ts: a
// recorded final state stays final, a vanished Job is never recreated) turned into the
// source's artifact entry, with what the runner reported about the backup.
import { formatBytes, type BackupSource, type BackupRunStatus } from '../../api/index.ts';
import { itemState, type ObservedJob } from '../job-set/index.ts';
import type { BackupRun } from '../../api/index.ts';
import { compact } from '../same-status.ts';
import { parseTime } from '../time.ts';
import { backupJobName } from '../jobs/backup-job.ts';
import { backupSummary } from './summaries.ts';

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

export { isFinal } from '../job-set/index.ts';

export function sourceState(source: BackupSource, run: string, recorded: ArtifactStatus | undefined, job: ObservedJob | undefined): SourceState {
  const jobName = backupJobName(run, source.name);
  const type = source.postgres ? ('Postgres' as const) : ('Bucket' as const);
  const item = itemState({ jobName, recorded: recorded?.phase, job, work: 'backup' });
  const base = { source, jobName, needsJob: item.needsJob, startedAt: item.startedAt, finishedAt: item.finishedAt };
  if (item.fromRecord) return { ...base, artifact: recorded! };
  if (item.phase !== 'Succeeded') {
    return { ...base, artifact: compact({ source: source.name, type, phase: item.phase, jobName, message: item.message }) };
  }
  const summary = backupSummary(item.result);
  return {
    ...base,
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
      message: item.result?.ok ? undefined : 'the runner\'s result could not be read; see the artifact manifest in storage',
    }),
  };
}

/**
 * Every source's state from the run's recorded artifacts and its Jobs. decideBackupRun builds on
 * it, and the observation asks it whether the pass may start the first Jobs (and so needs the
 * Secrets), so both answer that question the same way.
 */
export function sourceStatesOf(run: BackupRun, jobs: readonly ObservedJob[], sources: readonly BackupSource[]): SourceState[] {
  const name = run.metadata.name ?? '';
  const byName = new Map(jobs.map((job) => [job.name, job]));
  const recorded = new Map((run.status?.artifacts ?? []).map((artifact) => [artifact.source, artifact]));
  return sources.map((source) => sourceState(source, name, recorded.get(source.name), byName.get(backupJobName(name, source.name))));
}
