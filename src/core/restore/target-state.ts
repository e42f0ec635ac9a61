// Each target's status entry from its Job (itemState) and the runner's summary of the restore.
import { formatBytes, formatDuration, type RestoreTarget } from '../../api/index.ts';
import { itemState, optional, summaryOf, type ItemState, type ObservedJob } from '../job-set/index.ts';
import { compact } from '../same-status.ts';
import { keepSpelling } from '../time.ts';
import { z } from 'zod';
import type { RestoreTargetStatus } from './types.ts';

/** What postgres-restore and bucket-restore report (fields cut for size read as absent). */
const RestoreSummary = z.object({
  sizeBytes: optional(z.int().min(0)),
  created: optional(z.boolean()),
  createdBucket: optional(z.boolean()),
  objects: optional(z.int().min(0)),
  skippedObjects: optional(z.int().min(0)),
});

export interface TargetState {
  target: RestoreTarget;
  item: ItemState;
  entry: RestoreTargetStatus;
}

export function targetState(target: RestoreTarget, jobName: string, recorded: RestoreTargetStatus | undefined, job: ObservedJob | undefined): TargetState {
  const item = itemState({ jobName, recorded: recorded?.phase, job, work: 'restore' });
  if (item.fromRecord && recorded) return { target, item, entry: recorded };
  const summary = summaryOf(RestoreSummary, item.result);
  const durationMs = item.startedAt && item.finishedAt ? Math.max(0, item.finishedAt.getTime() - item.startedAt.getTime()) : undefined;
  const entry: RestoreTargetStatus = compact({
    source: target.source,
    type: target.postgres ? ('Postgres' as const) : ('Bucket' as const),
    phase: item.phase,
    jobName,
    destination: destinationOf(target),
    startTime: keepSpelling(recorded?.startTime, item.startedAt),
    completionTime: keepSpelling(recorded?.completionTime, item.phase === 'Succeeded' || item.phase === 'Failed' ? item.finishedAt : undefined),
    duration: durationMs === undefined ? undefined : formatDuration(durationMs),
    durationSeconds: durationMs === undefined ? undefined : Math.round(durationMs / 1000),
    sizeBytes: summary.sizeBytes,
    size: summary.sizeBytes === undefined ? undefined : formatBytes(summary.sizeBytes),
    createdTarget: summary.created ?? summary.createdBucket,
    objectsWritten: target.bucket ? summary.objects : undefined,
    objectsSkipped: target.bucket ? summary.skippedObjects : undefined,
    message: failureMessage(item),
  });
  return { target, item, entry };
}

/** The runner failed reading the stored artifact: no retry or target setting helps. */
const UNREADABLE_BACKUP = new Set(['ChecksumMismatch', 'ArtifactCorrupt']);

/**
 * Why a target failed. The runner's reason says what it found; when the backup itself is
 * corrupt, the restore adds what to do about it (the spec is immutable, so: another request),
 * and names a checksum mismatch as such.
 */
export function failureMessage(item: Pick<ItemState, 'phase' | 'message' | 'result'>): string | undefined {
  const { result, message } = item;
  if (item.phase !== 'Failed' || message === undefined || !result || result.ok || !UNREADABLE_BACKUP.has(result.code)) return message;
  const named = result.code === 'ChecksumMismatch' && !/checksum/i.test(message) ? `checksum mismatch: ${message}` : message;
  return `${named}; this backup cannot be restored: create a new RestoreRequest that selects another BackupRun`;
}

/** Where a target's data goes, for status and events: never a credential. */
export function destinationOf(target: RestoreTarget): string {
  if (target.postgres) return `${target.postgres.host}:${target.postgres.port}/${target.postgres.database}`;
  const bucket = target.bucket!;
  const where = `s3://${bucket.bucket}/${bucket.prefixRemap ? `${bucket.prefixRemap.to} (keys under ${bucket.prefixRemap.from} remapped)` : ''}`;
  return bucket.endpoint ? `${where} at ${bucket.endpoint}` : where;
}
