// RestoreRequest: restore one backup into PostgreSQL databases and buckets. One-shot, so its
// spec is immutable: a different restore is a new object.
import { z } from 'zod';
import { withRules } from './cel.ts';
import { Conditions, observedGenerationField } from './conditions.ts';
import { ageColumn, type CrdDescriptor } from './crd-descriptor.ts';
import { API_VERSION } from './group.ts';
import { DnsLabel, localObjectReference, MAX_LABELED_NAME_LENGTH, ObjectName } from './names.ts';
import { ObjectMeta } from './object-meta.ts';
import { databaseNameField, postgresServerShape } from './postgres.ts';
import { duplicates, error, warning, type Problem } from './problems.ts';
import { bucketNameField, keyPrefixField, s3ConnectionShape } from './s3.ts';

export const BackupSelector = withRules(
  z.object({
    backupRunRef: localObjectReference('BackupRun').optional(),
    scheduleRef: localObjectReference('BackupSchedule').optional(),
    pointInTime: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('With scheduleRef: restore the newest successful backup whose snapshot is at or before this time (RFC 3339, e.g. 2025-03-01T12:00:00Z).'),
  }),
  [
    {
      rule: 'has(self.backupRunRef) != has(self.scheduleRef)',
      message: 'set exactly one of backupRunRef (a specific backup) or scheduleRef (the newest backup of a schedule)',
      check: (s) => (s.backupRunRef === undefined) !== (s.scheduleRef === undefined),
    },
    {
      rule: '!has(self.pointInTime) || has(self.scheduleRef)',
      message: 'pointInTime picks among the backups of a schedule: set scheduleRef with it',
      fieldPath: '.pointInTime',
      check: (s) => s.pointInTime === undefined || s.scheduleRef !== undefined,
    },
  ],
).describe('Which backup to restore: a BackupRun by name, or the newest successful backup of a schedule (optionally the newest at or before pointInTime).');

export const PostgresTarget = z
  .object({
    ...postgresServerShape,
    database: databaseNameField('Database to restore into.'),
    createDatabase: z.boolean().default(true).describe('Create the database if it does not exist. Defaults to true.'),
    overwritePolicy: z
      .enum(['Fail', 'Clean'])
      .default('Fail')
      .describe('What to do when the database already contains tables: Fail stops before touching it, Clean drops the objects the backup contains before recreating them (pg_restore --clean --if-exists). Defaults to Fail.'),
    parallelJobs: z.int().min(1).max(16).default(1).describe('Parallel pg_restore jobs (-j); above 1 the dump is downloaded first. Defaults to 1.'),
    noOwner: z.boolean().default(true).describe('Do not restore object ownership (pg_restore --no-owner), so that the restore works when the original roles do not exist. Defaults to true.'),
  })
  .describe('Restore a PostgreSQL source into this database.');
export type PostgresTarget = z.infer<typeof PostgresTarget>;

export const PrefixRemap = z
  .object({
    from: keyPrefixField('Prefix of the keys as they were backed up.'),
    to: keyPrefixField('Prefix the keys are restored under instead.'),
  })
  .describe('Restore keys that start with `from` under `to` instead; other keys keep their name.');

export const BucketTarget = z
  .object({
    bucket: bucketNameField('Bucket to restore into.'),
    ...s3ConnectionShape,
    prefixRemap: PrefixRemap.optional(),
    overwritePolicy: z
      .enum(['Skip', 'Overwrite', 'Fail'])
      .default('Fail')
      .describe('What to do with an object whose key already exists in the bucket: Skip keeps the existing object, Overwrite replaces it, Fail stops before writing anything if any key exists. Defaults to Fail.'),
    createBucket: z.boolean().default(false).describe('Create the bucket if it does not exist. Defaults to false.'),
  })
  .describe('Restore a bucket source into this bucket.');
export type BucketTarget = z.infer<typeof BucketTarget>;

export const RestoreTarget = withRules(
  z.object({
    source: DnsLabel.describe('Name of the source in the backup to restore (spec.sources[].name of the schedule).'),
    postgres: PostgresTarget.optional(),
    bucket: BucketTarget.optional(),
  }),
  [
    {
      rule: 'has(self.postgres) != has(self.bucket)',
      message: 'set exactly one of postgres or bucket',
      check: (t) => (t.postgres === undefined) !== (t.bucket === undefined),
    },
  ],
).describe('Where one source of the backup is restored to: set exactly one of postgres or bucket, matching the source.');
export type RestoreTarget = z.infer<typeof RestoreTarget>;

export const RestoreRequestSpec = withRules(
  z.object({
    backup: BackupSelector,
    targets: z
      .array(RestoreTarget)
      .min(1)
      .max(16)
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['source'] })
      .describe('Sources of the backup to restore and where to; sources not listed are not restored.'),
  }),
  [{ rule: 'self == oldSelf', message: 'spec is immutable: create a new RestoreRequest for a different restore' }],
).describe('Which backup to restore, and where each of its sources goes.');
export type RestoreRequestSpec = z.infer<typeof RestoreRequestSpec>;

const time = (description: string) => z.iso.datetime({ offset: true }).optional().describe(description);
const Phase = z.enum(['Pending', 'Running', 'Succeeded', 'PartiallyFailed', 'Failed']);

export const RestoreTargetStatus = z
  .object({
    source: z.string().max(63).describe('Source this entry is about.'),
    type: z.enum(['Postgres', 'Bucket']).optional().describe('Kind of target: Postgres or Bucket.'),
    phase: Phase.optional().describe('State of this target\'s restore.'),
    jobName: z.string().max(63).optional().describe('Job that restores this target.'),
    startTime: time('When the restore of this target started.'),
    completionTime: time('When the restore of this target finished.'),
    duration: z.string().max(32).optional().describe('Time the restore of this target took, e.g. 4m10s.'),
    bytes: z.int().min(0).optional().describe('Bytes of the artifact restored.'),
    objectCount: z.int().min(0).optional().describe('Bucket targets: objects written.'),
    skippedObjects: z.int().min(0).optional().describe('Bucket targets: objects left alone because they existed (overwritePolicy Skip).'),
    message: z.string().max(4096).optional().describe('Why the target failed, or other details.'),
  })
  .describe('Progress and result of one target.');

export const RestoreRequestStatus = z
  .object({
    observedGeneration: observedGenerationField,
    conditions: Conditions.optional(),
    phase: Phase.optional().describe('Pending, Running, Succeeded, PartiallyFailed (some targets failed) or Failed.'),
    backup: z
      .object({
        name: ObjectName.optional().describe('BackupRun that is restored, when it exists in the cluster.'),
        schedule: ObjectName.optional().describe('Schedule the backup belongs to.'),
        manifestKey: z.string().max(2048).optional().describe('Object key of the run manifest the restore reads.'),
        snapshotTime: time('The consistent point in time of the restored data.'),
      })
      .optional()
      .describe('The backup the selector resolved to; fixed once the restore starts.'),
    startTime: time('When the restore started.'),
    completionTime: time('When the last target finished.'),
    duration: z.string().max(32).optional().describe('Time from start to completion, e.g. 12m3s.'),
    durationSeconds: z.number().min(0).optional().describe('Time from start to completion in seconds.'),
    targets: z
      .array(RestoreTargetStatus)
      .max(16)
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['source'] })
      .optional()
      .describe('One entry per target.'),
  })
  .describe('Observed state of the restore, written by the operator.');
export type RestoreRequestStatus = z.infer<typeof RestoreRequestStatus>;

export const RestoreRequest = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('RestoreRequest'),
  metadata: ObjectMeta,
  spec: RestoreRequestSpec,
  status: RestoreRequestStatus.optional(),
});
export type RestoreRequest = z.infer<typeof RestoreRequest>;

export const restoreRequestCrd: CrdDescriptor = {
  kind: 'RestoreRequest',
  plural: 'restorerequests',
  shortNames: ['rreq'],
  description:
    'RestoreRequest restores one backup (by name, the newest of a schedule, or the newest at or before a point in time) into PostgreSQL databases and buckets, verifying checksums before the data counts as restored.',
  spec: RestoreRequestSpec,
  status: RestoreRequestStatus,
  maxNameLength: MAX_LABELED_NAME_LENGTH,
  nameLengthReason: 'the name is a label value on its Jobs',
  printerColumns: [
    { name: 'Backup', type: 'string', jsonPath: '.status.backup.name', description: 'BackupRun being restored.' },
    { name: 'Snapshot', type: 'date', jsonPath: '.status.backup.snapshotTime', description: 'Age of the restored data.' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Pending, Running, Succeeded, PartiallyFailed or Failed.' },
    { name: 'Duration', type: 'string', jsonPath: '.status.duration', description: 'Time from start to completion.' },
    ageColumn,
  ],
};

function bucketDestination(target: RestoreTarget): string | undefined {
  const b = target.bucket;
  return b && `${b.endpoint ?? ''}|${b.bucket}|${b.prefixRemap?.to ?? ''}`;
}

function databaseDestination(target: RestoreTarget): string | undefined {
  const p = target.postgres;
  return p && `${p.host}|${p.port}|${p.database}`;
}

/** Two targets must not write to the same place; a remap onto itself is probably a typo. */
export function validateRestoreRequest(spec: RestoreRequestSpec): Problem[] {
  const problems: Problem[] = [];
  const destinations = spec.targets.map((t) => bucketDestination(t) ?? databaseDestination(t));
  for (const { index } of duplicates(destinations)) {
    problems.push(error(`spec.targets[${index}]`, 'restores to the same database or bucket and prefix as an earlier target; give each target its own destination'));
  }
  spec.targets.forEach((target, index) => {
    const remap = target.bucket?.prefixRemap;
    if (remap && remap.from === remap.to) {
      problems.push(warning(`spec.targets[${index}].bucket.prefixRemap`, `from and to are both "${remap.from}", so nothing is remapped; remove prefixRemap or change to`));
    }
  });
  return problems;
}
