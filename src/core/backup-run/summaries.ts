// What the backup subcommands report in their result (src/contract/result.ts): fields the
// runner cut for size, or an older runner did not send, read as absent.
import { z } from 'zod';
import { optional, summaryOf, type RunnerResult } from '../job-set/index.ts';

/** postgres-backup and bucket-backup. */
const BackupSummary = z.object({
  key: optional(z.string().min(1)),
  manifestKey: optional(z.string().min(1)),
  sizeBytes: optional(z.int().min(0)),
  sha256: optional(z.string().regex(/^[0-9a-f]{64}$/)),
  encrypted: optional(z.boolean()),
  snapshotTime: optional(z.iso.datetime({ offset: true })),
  tables: optional(z.int().min(0)),
  rows: optional(z.int().min(0)),
  objects: optional(z.int().min(0)),
});
export type BackupSummary = z.infer<typeof BackupSummary>;

export function backupSummary(result: RunnerResult | undefined): Partial<BackupSummary> {
  return summaryOf(BackupSummary, result);
}

/** finalize-run. */
const FinalizeSummary = z.object({
  manifestKey: optional(z.string().min(1)),
  snapshotTime: optional(z.iso.datetime({ offset: true })),
  totalSizeBytes: optional(z.int().min(0)),
});

export function finalizeSummary(result: RunnerResult | undefined): Partial<z.infer<typeof FinalizeSummary>> {
  return summaryOf(FinalizeSummary, result);
}
