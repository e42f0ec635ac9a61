// The task specs, one per runner subcommand: what the operator writes as JSON into a Job (env
// var LIFEBOAT_TASK) and the runner parses where it enters (src/runner/task.ts). Tasks hold no
// secrets: credentials are named by the environment variables that hold them.
import { z } from 'zod';
import { ArtifactLocation, RunLocation } from './bucket-layout.ts';
import { Compression, CompressionLevel } from './compression.ts';
import { PostgresConnection } from './postgres-connection.ts';
import { EnvName, RunnerEnv } from './runner-env.ts';
import { BucketName, S3Endpoint } from './s3-endpoint.ts';

/** Where backups are stored. */
export const Storage = S3Endpoint.extend({
  bucket: BucketName,
  prefix: z.string().default(''),
});
export type Storage = z.infer<typeof Storage>;

/** age X25519 recipients (public keys) to encrypt to. */
export const Encryption = z
  .object({
    recipients: z.array(z.string().regex(/^age1[0-9a-z]+$/, 'an age recipient (age1...)')).default([]),
    /** Environment variable with more recipients or identities (AGE-SECRET-KEY-1...), one per line. */
    keyEnv: EnvName.optional(),
  })
  .refine((value) => value.recipients.length > 0 || value.keyEnv !== undefined, {
    message: 'encryption needs recipients or keyEnv',
  });
export type Encryption = z.infer<typeof Encryption>;

/** Where the age identities (secret keys) for decryption are: an env var filled from a Secret. */
export const Decryption = z.object({
  identityEnv: EnvName.default(RunnerEnv.ageIdentity),
});
export type Decryption = z.infer<typeof Decryption>;

export const UploadTuning = z.object({
  partSizeBytes: z.number().int().min(5 * 1024 * 1024).max(5 * 1024 * 1024 * 1024).optional(),
  queueSize: z.number().int().min(1).max(64).optional(),
});

export const DownloadTuning = z.object({
  partSizeBytes: z.number().int().min(1024 * 1024).max(1024 * 1024 * 1024).optional(),
  concurrency: z.number().int().min(1).max(64).optional(),
});

export const DumpFormat = z.enum(['custom', 'plain', 'tar', 'directory']);
export type DumpFormat = z.infer<typeof DumpFormat>;

export const RowCountMode = z.enum(['exact', 'estimate', 'off']);
export type RowCountMode = z.infer<typeof RowCountMode>;

export const PostgresBackupTask = z.object({
  storage: Storage,
  location: ArtifactLocation,
  postgres: PostgresConnection,
  format: DumpFormat.default('custom').refine((format) => format !== 'directory', {
    message:
      'format "directory" cannot be streamed (pg_dump writes a directory of files, which would need a temp dir); use "custom", which pg_restore also restores in parallel',
  }),
  compression: Compression.default('zstd'),
  compressionLevel: CompressionLevel.optional(),
  rowCounts: RowCountMode.default('exact'),
  encryption: Encryption.optional(),
  /** Schemas to dump (pg_dump --schema); all when empty. */
  schemas: z.array(z.string().min(1)).default([]),
  excludeSchemas: z.array(z.string().min(1)).default([]),
  upload: UploadTuning.default({}),
});
export type PostgresBackupTask = z.infer<typeof PostgresBackupTask>;

export const PostgresRestoreTask = z.object({
  storage: Storage,
  artifact: ArtifactLocation,
  /** target.database is the database restored into. */
  target: PostgresConnection,
  /** Create the target database when it does not exist; an existing one is restored into (if
   *  empty, or with overwritePolicy Clean). With false the database must exist. */
  createDatabase: z.boolean().default(true),
  /** Database to connect to for CREATE DATABASE. */
  maintenanceDatabase: z.string().min(1).default('postgres'),
  /** Fail refuses a target that is not empty; Clean restores over it (pg_restore --clean
   *  --if-exists drops the objects the backup holds first). */
  overwritePolicy: z.enum(['Fail', 'Clean']).default('Fail'),
  /** pg_restore -j: above 1 the artifact is downloaded (parallel ranges) and verified first. */
  parallelJobs: z.number().int().min(1).max(64).default(1),
  /** On by default, as in the API: the original roles seldom exist where a backup is restored. */
  noOwner: z.boolean().default(true),
  noAcl: z.boolean().default(false),
  /** SET ROLE to this role for the restore (objects end up owned by it with noOwner). */
  role: z.string().min(1).optional(),
  decryption: Decryption.optional(),
  download: DownloadTuning.default({}),
  /** Where the local copy goes when parallelJobs > 1 (an emptyDir volume in the Job). */
  workDir: z.string().min(1).optional(),
});
export type PostgresRestoreTask = z.infer<typeof PostgresRestoreTask>;

export const BucketSource = S3Endpoint.extend({
  bucket: BucketName,
  prefix: z.string().default(''),
});
export type BucketSource = z.infer<typeof BucketSource>;

export const BucketBackupTask = z.object({
  storage: Storage,
  location: ArtifactLocation,
  source: BucketSource,
  compression: Compression.default('zstd'),
  compressionLevel: CompressionLevel.optional(),
  encryption: Encryption.optional(),
  /** Objects fetched in parallel. */
  concurrency: z.number().int().min(1).max(256).default(32),
  upload: UploadTuning.default({}),
});
export type BucketBackupTask = z.infer<typeof BucketBackupTask>;

export const OverwritePolicy = z.enum(['Skip', 'Overwrite', 'Fail']);
export type OverwritePolicy = z.infer<typeof OverwritePolicy>;

export const BucketRestoreTask = z.object({
  storage: Storage,
  artifact: ArtifactLocation,
  target: BucketSource,
  /** Keys starting with `from` are restored under `to` instead. */
  prefixRemap: z.object({ from: z.string(), to: z.string() }).optional(),
  overwritePolicy: OverwritePolicy.default('Fail'),
  createBucket: z.boolean().default(true),
  concurrency: z.number().int().min(1).max(256).default(32),
  decryption: Decryption.optional(),
});
export type BucketRestoreTask = z.infer<typeof BucketRestoreTask>;

export const VerifyTask = z.object({
  storage: Storage,
  /** Without `source`, every source listed in the run manifest is verified. */
  location: RunLocation.extend({ source: ArtifactLocation.shape.source.optional() }),
});
export type VerifyTask = z.infer<typeof VerifyTask>;

export const FinalizeRunTask = z.object({
  storage: Storage,
  location: RunLocation,
  /** The sources the run was meant to back up; every one needs a manifest. */
  sources: z.array(ArtifactLocation.shape.source).min(1),
});
export type FinalizeRunTask = z.infer<typeof FinalizeRunTask>;

/** Scratch targets are created and dropped by drills; their names carry a fixed prefix so a
 *  mistake elsewhere can never make the runner drop a user's database or bucket. */
export const SCRATCH_DATABASE_PREFIX = 'lifeboat_scratch_';
export const SCRATCH_BUCKET_PREFIX = 'lifeboat-scratch-';

/** A drill run's id in its scratch names: lowercase letters and digits, so that the same id
 *  makes a valid PostgreSQL identifier (unquoted) and a valid S3 bucket name. */
export const SCRATCH_RUN_ID = /^[a-z0-9]{1,20}$/;
/** The highest index: a backup has at most 16 sources; three digits leave room. */
export const SCRATCH_MAX_INDEX = 999;

const SCRATCH_DATABASE_NAME = /^lifeboat_scratch_[a-z0-9]{1,20}_(0|[1-9][0-9]{0,2})$/;
const SCRATCH_BUCKET_NAME = /^lifeboat-scratch-[a-z0-9]{1,20}-(0|[1-9][0-9]{0,2})$/;

function checkScratchParts(runId: string, index: number): void {
  if (!SCRATCH_RUN_ID.test(runId)) {
    throw new Error(`scratch run id ${JSON.stringify(runId)} must be 1-20 lowercase letters and digits`);
  }
  if (!Number.isInteger(index) || index < 0 || index > SCRATCH_MAX_INDEX) {
    throw new Error(`scratch index ${index} must be an integer from 0 to ${SCRATCH_MAX_INDEX}`);
  }
}

/**
 * The scratch database of a drill run's index-th source: `lifeboat_scratch_<runId>_<index>`, at
 * most 41 characters (PostgreSQL allows 63), needing no quotes. The operator names what it
 * asks for with it, and ScratchTask accepts exactly these names.
 */
export function scratchDatabaseName(runId: string, index: number): string {
  checkScratchParts(runId, index);
  return `${SCRATCH_DATABASE_PREFIX}${runId}_${index}`;
}

/** The scratch bucket of a drill run's index-th source: `lifeboat-scratch-<runId>-<index>`, at
 *  most 41 characters (S3 allows 63). */
export function scratchBucketName(runId: string, index: number): string {
  checkScratchParts(runId, index);
  return `${SCRATCH_BUCKET_PREFIX}${runId}-${index}`;
}

/**
 * Marks a scratch target as this drill run's own (e.g. the DRDrillRun's uid). scratch-create
 * records it on what it creates (the database's comment, the bucket's tags), so that a retried
 * Job (the pod evicted after CREATE) takes back its own empty target instead of failing with
 * TargetExists, while a name created by anyone else still fails the drill.
 */
const ScratchClaim = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, ".", "_" and "-" (e.g. a uid)');

export const ScratchTask = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('database'),
    /** Connection to the scratch server; `database` is the one to connect to (e.g. postgres). */
    postgres: PostgresConnection,
    name: z.string().regex(SCRATCH_DATABASE_NAME, `a database name ${SCRATCH_DATABASE_PREFIX}<run id>_<index> (scratchDatabaseName)`),
    claim: ScratchClaim.optional(),
    /** scratch-drop: drop only a target that carries `claim` (one a stopped Provision may or may not have created). */
    requireClaim: z.boolean().default(false),
  }),
  z.object({
    kind: z.literal('bucket'),
    s3: S3Endpoint,
    name: z.string().regex(SCRATCH_BUCKET_NAME, `a bucket name ${SCRATCH_BUCKET_PREFIX}<run id>-<index> (scratchBucketName)`),
    claim: ScratchClaim.optional(),
    /** scratch-drop: drop only a target that carries `claim` (one a stopped Provision may or may not have created). */
    requireClaim: z.boolean().default(false),
  }).refine((task) => !task.requireClaim || task.claim !== undefined, { message: 'requireClaim needs a claim' }),
]);
export type ScratchTask = z.infer<typeof ScratchTask>;

/** What a query must return, with the API's names and meanings (src/api/dr-drill.ts
 *  SqlExpectation): the operator copies a DRDrill's expectations through unchanged. */
export const CheckExpectation = z.object({
  /** The query returns exactly this many rows. */
  rows: z.number().int().min(0).optional(),
  /** The first column of the first row, as text, equals this. */
  equals: z.string().optional(),
  /** The first column of the first row is a number at least this. */
  atLeast: z.number().optional(),
  /** The first column of the first row is a number at most this. */
  atMost: z.number().optional(),
});
export type CheckExpectation = z.infer<typeof CheckExpectation>;

export const SqlCheck = z.object({
  name: z.string().min(1).max(63),
  query: z.string().min(1),
  expect: CheckExpectation.default({}),
});
export type SqlCheck = z.infer<typeof SqlCheck>;

export const DrillCheckTask = z.object({
  /** The restored (scratch) database. */
  postgres: PostgresConnection,
  checks: z.array(SqlCheck).default([]),
  /** Compare per-table row counts with the ones taken in the backup's snapshot. */
  rowCounts: z
    .object({
      storage: Storage,
      artifact: ArtifactLocation,
    })
    .optional(),
  /** Check that every schema object in the dump's table of contents (pg_restore --list of
   *  the artifact) exists in the restored database. Custom and tar dumps; a plain SQL dump has
   *  no table of contents, and the check is reported as skipped. */
  schemaObjects: z
    .object({
      storage: Storage,
      artifact: ArtifactLocation,
      decryption: Decryption.optional(),
    })
    .optional(),
  /** A query whose single value is the newest data's timestamp (the measured RPO's basis). */
  freshness: z.object({ query: z.string().min(1) }).optional(),
  statementTimeoutSeconds: z.number().int().min(1).default(300),
});
export type DrillCheckTask = z.infer<typeof DrillCheckTask>;

/** The kinds of drill check, with the DRDrillRun status's names (src/api/dr-drill-run.ts DrillCheck.type). */
export const DrillCheckType = z.enum(['Sql', 'RowCount', 'ObjectCount', 'Checksum', 'SchemaObjects', 'Freshness']);
export type DrillCheckType = z.infer<typeof DrillCheckType>;

/**
 * bucket-check: a restored bucket against its backup's manifest: the object count, and every
 * object's key (after prefixRemap), size and SHA-256. The manifest's own object list is used
 * when it has every object's SHA-256; otherwise the archive is read for them (which needs
 * `decryption` for an encrypted backup).
 */
export const BucketCheckTask = z.object({
  storage: Storage,
  artifact: ArtifactLocation,
  /** The restored (scratch) bucket; `prefix` as in the restore task (keys under it count). */
  target: BucketSource,
  /** The restore's remap: keys starting with `from` are expected under `to`. */
  prefixRemap: BucketRestoreTask.shape.prefixRemap,
  /** Objects read and hashed at the same time. */
  concurrency: z.number().int().min(1).max(256).default(16),
  decryption: Decryption.optional(),
});
export type BucketCheckTask = z.infer<typeof BucketCheckTask>;

export const TASK_SCHEMAS = {
  'postgres-backup': PostgresBackupTask,
  'postgres-restore': PostgresRestoreTask,
  'bucket-backup': BucketBackupTask,
  'bucket-restore': BucketRestoreTask,
  verify: VerifyTask,
  'finalize-run': FinalizeRunTask,
  'scratch-create': ScratchTask,
  'scratch-drop': ScratchTask,
  'drill-check': DrillCheckTask,
  'bucket-check': BucketCheckTask,
} as const;
export type Subcommand = keyof typeof TASK_SCHEMAS;
export type TaskFor<S extends Subcommand> = z.infer<(typeof TASK_SCHEMAS)[S]>;

export const TASK_ENV = RunnerEnv.task;

export function isSubcommand(value: string): value is Subcommand {
  return Object.hasOwn(TASK_SCHEMAS, value);
}
