// RestoreRequest: restore one backup into PostgreSQL databases and buckets. One-shot, so its
// spec is immutable: a different restore is a new object.
import { z } from 'zod';
import { withRules } from './cel.ts';
import { Conditions, observedGenerationField } from './conditions.ts';
import { ageColumn, type CrdDescriptor } from './crd-descriptor.ts';
import { API_VERSION } from './group.ts';
import { JobTemplate } from './job-template.ts';
import { DnsLabel, localObjectReference, MAX_LABELED_NAME_LENGTH, ObjectName } from './names.ts';
import { ObjectMeta } from './object-meta.ts';
import { databaseNameField, postgresServerShape } from './postgres.ts';
import { duplicates, error, warning, type Problem } from './problems.ts';
import { bucketNameField, keyPrefixField, s3ConnectionShape } from './s3.ts';
import { secretKeyRef } from './secret-refs.ts';

export const BackupSelector = withRules(
  z.object({
    backupRunRef: localObjectReference('BackupRun').optional(),
    scheduleRef: localObjectReference('BackupSchedule').optional(),
    notAfter: z.iso
      .datetime({ offset: true })
      .optional()
      .describe(
        'With scheduleRef: restore the newest successful backup whose snapshot is at or before this time (RFC 3339, e.g. 2025-03-01T12:00:00Z). This picks a backup; it is not WAL point-in-time recovery: the data is as of that backup\'s snapshot.',
      ),
  }),
  [
    {
      rule: 'has(self.backupRunRef) != has(self.scheduleRef)',
      message: 'set exactly one of backupRunRef (a specific backup) or scheduleRef (the newest backup of a schedule)',
      check: (s) => (s.backupRunRef === undefined) !== (s.scheduleRef === undefined),
    },
    {
      rule: '!has(self.notAfter) || has(self.scheduleRef)',
      message: 'notAfter picks among the backups of a schedule: set scheduleRef with it',
      fieldPath: '.notAfter',
      check: (s) => s.notAfter === undefined || s.scheduleRef !== undefined,
    },
  ],
).describe(
  'Which backup to restore: a BackupRun by name, or the newest successful backup of a schedule (optionally the newest whose snapshot is at or before notAfter). BackupRuns recreated from object storage by catalog sync count: on a new cluster, apply the schedule (suspend: true), wait for its runs, then restore.',
);

export const PostgresTarget = z
  .object({
    ...postgresServerShape,
    database: databaseNameField('Database to restore into.'),
    createDatabase: z
      .boolean()
      .default(true)
      .describe(
        'Create the database when it does not exist (a database created by a restore that then fails is dropped again). With false the database must exist. Either way an existing database is restored into only if it is empty, or with overwritePolicy Clean. Defaults to true.',
      ),
    overwritePolicy: z
      .enum(['Fail', 'Clean'])
      .default('Fail')
      .describe('What to do when the database already contains tables: Fail stops before touching it, Clean drops the objects the backup contains before recreating them (pg_restore --clean --if-exists). Defaults to Fail.'),
    parallelJobs: z.int().min(1).max(16).default(1).describe('Parallel pg_restore jobs (-j); above 1 the dump is downloaded and verified first, then restored from a local file (the Job\'s scratch volume must hold it). Defaults to 1, which streams.'),
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
    createBucket: z
      .boolean()
      .default(true)
      .describe('Create the bucket when it does not exist. With false the bucket must exist. Defaults to true.'),
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

export const RestoreDecryption = z
  .object({
    identitySecret: secretKeyRef(
      'Secret with the age identity (private key) that decrypts the backup. It wins over the schedule\'s storage.encryption.identitySecret, so the private key need not be kept in the schedule or next to the backups.',
      'identity',
    ),
  })
  .describe('How to decrypt an encrypted backup. Without it, the backup schedule\'s storage.encryption.identitySecret is used.');

export const RestoreRequestSpec = withRules(
  z.object({
    backup: BackupSelector,
    decryption: RestoreDecryption.optional(),
    jobTemplate: JobTemplate.optional().describe('Settings for the Jobs that run the restore (one Job per target): resources, node selection, tolerations, deadline, service account.'),
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
    phase: z.enum(['Pending', 'Running', 'Succeeded', 'Failed']).optional().describe('State of this target\'s restore: Pending, Running, Succeeded or Failed.'),
    jobName: z.string().max(63).optional().describe('Job that restores this target.'),
    startTime: time('When the restore of this target started.'),
    completionTime: time('When the restore of this target finished.'),
    duration: z.string().max(32).optional().describe('Time the restore of this target took, e.g. 4m10s.'),
    durationSeconds: z.number().min(0).optional().describe('Time the restore of this target took, in seconds.'),
    sizeBytes: z.int().min(0).optional().describe('Bytes of the artifact restored (as stored, compressed and encrypted).'),
    size: z.string().max(32).optional().describe('sizeBytes for people, e.g. 1.2 GiB.'),
    destination: z.string().max(1024).optional().describe('Where the data went: host:port/database, or endpoint/bucket/prefix.'),
    createdTarget: z.boolean().optional().describe('The restore created the database or bucket.'),
    objectsWritten: z.int().min(0).optional().describe('Bucket targets: objects written.'),
    objectsSkipped: z.int().min(0).optional().describe('Bucket targets: objects left alone because they existed (overwritePolicy Skip).'),
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
        name: ObjectName.optional().describe('BackupRun that is restored.'),
        schedule: ObjectName.optional().describe('Schedule the backup belongs to.'),
        manifestKey: z.string().max(2048).optional().describe('Object key of the run manifest the restore reads.'),
        snapshotTime: time('The consistent point in time of the restored data.'),
        encrypted: z.boolean().optional().describe('The backup is age-encrypted, so the restore needs an identity.'),
      })
      .optional()
      .describe('The backup the selector resolved to; written once and never changed after the first Job starts.'),
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
    'RestoreRequest restores one backup (by name, the newest of a schedule, or the newest at or before a time) into PostgreSQL databases and buckets, verifying checksums before the data counts as restored, and never overwriting data unless told to.',
  spec: RestoreRequestSpec,
  status: RestoreRequestStatus,
  maxNameLength: MAX_LABELED_NAME_LENGTH,
  nameLengthReason: 'the name is a label value on its Jobs',
  printerColumns: [
    { name: 'Backup', type: 'string', jsonPath: '.status.backup.name', description: 'BackupRun being restored.' },
    { name: 'Snapshot', type: 'date', jsonPath: '.status.backup.snapshotTime', description: 'Age of the restored data.' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Pending, Running, Succeeded, PartiallyFailed or Failed.' },
    { name: 'Duration', type: 'string', jsonPath: '.status.duration', description: 'Time from start to completion.' },
    { name: 'Message', type: 'string', jsonPath: '.status.conditions[?(@.type=="Complete")].message', description: 'Why the restore failed, or how far it got.', priority: 1 },
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
