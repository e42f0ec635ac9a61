// Manifests are the source of truth about backups: a per-artifact manifest.json, written only
// after its data object is complete, and a run manifest written last, whose presence means
// the run is complete. A fresh cluster rediscovers backups by reading them. The runner writes
// them (src/runner/manifest.ts); the operator reads run manifests for the catalog. Beside the run
// manifest, the verify task leaves its verdict (RunVerification), so that a drill or catalog sync
// that knows only the bucket can tell a backup that failed its read-back from a good one.
import { z } from 'zod';
import { ArtifactLocation, RunLocation } from './bucket-layout.ts';
import { Compression } from './compression.ts';

export const MANIFEST_FORMAT_VERSION = 1;

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 hex digest');
const Timestamp = z.iso.datetime({ offset: true });

export const StoredArtifact = z.object({
  /** Full object key in the backup bucket. */
  key: z.string().min(1),
  /** Size and SHA-256 of the stored bytes (after compression and encryption), so they can
   *  be verified without the key. */
  sizeBytes: z.number().int().min(0),
  sha256: Sha256Hex,
  compression: Compression,
  encryption: z
    .object({
      format: z.literal('age'),
      /** Public recipients (age1...): not secret, they name the keys that can decrypt. */
      recipients: z.array(z.string()),
    })
    .nullable(),
  contentType: z.string().default('application/octet-stream'),
});
export type StoredArtifact = z.infer<typeof StoredArtifact>;

export const TableRowCount = z.object({
  schema: z.string(),
  table: z.string(),
  rows: z.number().int().min(0).nullable(),
  /** "schema.table" of the partitioned parent, when this table is a partition. */
  partitionOf: z.string().optional(),
});
export type TableRowCount = z.infer<typeof TableRowCount>;

export const PostgresArtifactInfo = z.object({
  host: z.string(),
  port: z.number().int(),
  database: z.string(),
  format: z.enum(['custom', 'plain', 'tar']),
  serverVersion: z.string(),
  inRecovery: z.boolean(),
  /** The source database's encoding and locale, used when a restore creates its target. */
  encoding: z.string(),
  collate: z.string(),
  ctype: z.string(),
  /** pg_export_snapshot() id: meaningful only while the backup ran, kept for the record. */
  snapshotId: z.string(),
  /** WAL position of the snapshot (replay position on a standby). */
  lsn: z.string().nullable(),
  /** Size of pg_dump's output before compression and encryption; null when pg_dump wrote
   *  straight into a zstd process and the runner never saw the uncompressed bytes. */
  dumpBytes: z.number().int().min(0).nullable(),
  rowCounts: z.object({
    mode: z.enum(['exact', 'estimate', 'off']),
    tables: z.array(TableRowCount),
  }),
});
export type PostgresArtifactInfo = z.infer<typeof PostgresArtifactInfo>;

export const BucketObjectEntry = z.object({
  key: z.string(),
  sizeBytes: z.number().int().min(0),
  etag: z.string().optional(),
  sha256: Sha256Hex.optional(),
  /** The archive entry's path, where a stock `tar -x` puts the object (see src/archive/entry-path.ts). */
  path: z.string().optional(),
});

export const BucketArtifactInfo = z.object({
  endpoint: z.string().optional(),
  bucket: z.string(),
  prefix: z.string(),
  objectCount: z.number().int().min(0),
  totalBytes: z.number().int().min(0),
  /** Every archived object, when the archive writer records them. */
  objects: z.array(BucketObjectEntry).optional(),
});
export type BucketArtifactInfo = z.infer<typeof BucketArtifactInfo>;

const ArtifactManifestBase = z.object({
  formatVersion: z.literal(MANIFEST_FORMAT_VERSION),
  location: ArtifactLocation,
  startedAt: Timestamp,
  completedAt: Timestamp,
  /** The consistent point of the data: the PostgreSQL snapshot, or when the listing began. */
  snapshotTime: Timestamp,
  /** Tool name to version (runner, node, pg_dump, server, ...). */
  tools: z.record(z.string(), z.string()),
  artifact: StoredArtifact,
});

export const ArtifactManifest = z.discriminatedUnion('kind', [
  ArtifactManifestBase.extend({ kind: z.literal('postgres'), postgres: PostgresArtifactInfo }),
  ArtifactManifestBase.extend({ kind: z.literal('bucket'), bucket: BucketArtifactInfo }),
]);
export type ArtifactManifest = z.infer<typeof ArtifactManifest>;

export const RunManifest = z.object({
  formatVersion: z.literal(MANIFEST_FORMAT_VERSION),
  location: RunLocation,
  completedAt: Timestamp,
  /** The oldest snapshot time among the sources: the run's data is at least this fresh. */
  snapshotTime: Timestamp,
  totalSizeBytes: z.number().int().min(0),
  sources: z.array(
    z.object({
      name: z.string(),
      kind: z.enum(['postgres', 'bucket']),
      manifestKey: z.string(),
      artifactKey: z.string(),
      sizeBytes: z.number().int().min(0),
      sha256: Sha256Hex,
      snapshotTime: Timestamp,
      encrypted: z.boolean(),
    }),
  ),
});
export type RunManifest = z.infer<typeof RunManifest>;

export const VERIFICATION_FORMAT_VERSION = 1;

/**
 * The verdict of reading a run's artifacts back (the verify task), stored as verification.json
 * in the run folder. `verified: false` means the data is known bad: an artifact's SHA-256 or size
 * differs from its manifest, or an artifact or its manifest is missing or unreadable as JSON.
 * A read-back that could not finish (storage unreachable, cancelled) leaves no verdict. A folder
 * without one was never read back, or was before verdicts were stored: its state is unknown.
 */
export const RunVerification = z.object({
  formatVersion: z.literal(VERIFICATION_FORMAT_VERSION),
  location: RunLocation,
  verified: z.boolean(),
  /** When the read-back ended. */
  checkedAt: Timestamp,
  /** The sources read back in full whose size and SHA-256 matched, in the order read. */
  checked: z.array(z.string()),
  /** Why `verified` is false: the first artifact that failed, and a one-line reason (no credentials). */
  failure: z
    .object({
      source: z.string(),
      /** The artifact's object key, when its manifest could be read. */
      key: z.string().optional(),
      /** The runner's failure code: ChecksumMismatch, ArtifactCorrupt, ManifestMissing. */
      code: z.string().max(64),
      reason: z.string().max(1024),
    })
    .optional(),
});
export type RunVerification = z.infer<typeof RunVerification>;
