// BackupRun: one execution of a backup, one Job per source. Its spec never changes after creation.
import { z } from 'zod';
import { withRules } from './cel.ts';
import { Conditions, observedGenerationField } from './conditions.ts';
import { ageColumn, type CrdDescriptor } from './crd-descriptor.ts';
import { API_VERSION } from './group.ts';
import { JobTemplate } from './job-template.ts';
import { localObjectReference, MAX_LABELED_NAME_LENGTH, ObjectName } from './names.ts';
import { ObjectMeta } from './object-meta.ts';
import type { Problem } from './problems.ts';
import { BackupSources } from './sources.ts';
import { sourcesProblems } from './sources-validation.ts';
import { BackupStorage } from './storage.ts';

function immutable<S extends z.ZodType>(schema: S, field: string): S {
  return withRules(schema, [{ rule: 'self == oldSelf', message: `${field} is immutable: create a new BackupRun instead` }]);
}

const BackupRunSpecFields = z.object({
  scheduleRef: immutable(
    localObjectReference('BackupSchedule').describe(
      'The schedule this run belongs to. Set alone, it means "back up now": the operator copies the schedule\'s sources and storage into status.resolved.',
    ),
    'scheduleRef',
  ).optional(),
  sources: immutable(BackupSources, 'sources').optional(),
  storage: immutable(BackupStorage, 'storage').optional(),
  jobTemplate: immutable(JobTemplate, 'jobTemplate').optional(),
  deletionPolicy: z
    .enum(['Delete', 'Retain'])
    .default('Delete')
    .describe('What happens to the artifacts in object storage when this BackupRun is deleted (also by retention): Delete removes them, Retain keeps them. The only field that may change after creation. Defaults to Delete.'),
});

export const BackupRunSpec = withRules(BackupRunSpecFields, [
  {
    rule: 'has(self.scheduleRef) || (has(self.sources) && has(self.storage))',
    message: 'set scheduleRef (to back up now with the schedule\'s sources and storage), or both sources and storage',
    check: (spec) => spec.scheduleRef !== undefined || (spec.sources !== undefined && spec.storage !== undefined),
  },
  {
    rule: 'has(self.sources) == has(self.storage)',
    message: 'set sources and storage together, or neither (and scheduleRef)',
    check: (spec) => (spec.sources === undefined) === (spec.storage === undefined),
  },
  {
    rule: 'has(self.scheduleRef) == has(oldSelf.scheduleRef) && has(self.sources) == has(oldSelf.sources) && has(self.storage) == has(oldSelf.storage) && has(self.jobTemplate) == has(oldSelf.jobTemplate)',
    message: 'scheduleRef, sources, storage and jobTemplate cannot be added or removed after creation: create a new BackupRun instead',
  },
]).describe('What to back up and where. Created by a schedule it carries copies of the schedule\'s sources, storage and job template; everything except deletionPolicy is immutable.');
export type BackupRunSpec = z.infer<typeof BackupRunSpec>;

const time = (description: string) => z.iso.datetime({ offset: true }).optional().describe(description);

export const ArtifactStatus = z
  .object({
    source: z.string().max(63).describe('Name of the source this artifact holds.'),
    type: z.enum(['Postgres', 'Bucket']).optional().describe('Kind of source: Postgres or Bucket.'),
    phase: z.enum(['Pending', 'Running', 'Succeeded', 'Failed']).optional().describe('State of this source\'s Job.'),
    jobName: z.string().max(63).optional().describe('Name of the Job that produced the artifact.'),
    key: z.string().max(2048).optional().describe('Object key of the artifact in the backup storage.'),
    sizeBytes: z.int().min(0).optional().describe('Size of the stored artifact in bytes (after compression and encryption).'),
    size: z.string().max(32).optional().describe('Size of the stored artifact, human-readable.'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/).optional().describe('SHA-256 of the stored artifact, hex.'),
    encrypted: z.boolean().optional().describe('Whether the artifact is age-encrypted.'),
    objectCount: z.int().min(0).optional().describe('Bucket sources: objects in the archive.'),
    tableCount: z.int().min(0).optional().describe('PostgreSQL sources: tables whose rows were counted in the snapshot (per-table counts are in the artifact manifest).'),
    rowCount: z.int().min(0).optional().describe('PostgreSQL sources: rows in all counted tables at the snapshot.'),
    message: z.string().max(4096).optional().describe('Why the source failed, or other details.'),
  })
  .describe('One artifact of the run.');

export const BackupRunStatus = z
  .object({
    observedGeneration: observedGenerationField,
    conditions: Conditions.optional(),
    phase: z
      .enum(['Pending', 'Running', 'Succeeded', 'PartiallyFailed', 'Failed'])
      .optional()
      .describe('Pending, Running, Succeeded, PartiallyFailed (some sources failed) or Failed.'),
    startTime: time('When the first Job started.'),
    completionTime: time('When the last Job finished.'),
    duration: z.string().max(32).optional().describe('Wall-clock time from start to completion, e.g. 1m32s.'),
    durationSeconds: z.number().min(0).optional().describe('Wall-clock time from start to completion in seconds.'),
    snapshotTime: time('The consistent point in time of the backed-up data (the earliest snapshot among the sources).'),
    sizeBytes: z.int().min(0).optional().describe('Total size of the artifacts in bytes.'),
    size: z.string().max(32).optional().describe('Total size of the artifacts, human-readable (e.g. 1.4 GiB).'),
    manifestKey: z.string().max(2048).optional().describe('Object key of the run manifest; it is written last, so its presence means the run is complete.'),
    resolved: z
      .object({
        schedule: ObjectName.optional().describe('Schedule the sources and storage were copied from.'),
        sources: BackupSources.optional(),
        storage: BackupStorage.optional(),
        jobTemplate: JobTemplate.optional(),
      })
      .optional()
      .describe('For a run created with only scheduleRef: the schedule\'s sources, storage and job template as read at the first reconcile.'),
    artifacts: z
      .array(ArtifactStatus)
      .max(16)
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['source'] })
      .optional()
      .describe('One entry per source.'),
    progress: z
      .object({
        sourcesDone: z.int().min(0).optional().describe('Sources finished.'),
        sourcesTotal: z.int().min(0).optional().describe('Sources in the run.'),
        bytesWritten: z.int().min(0).optional().describe('Bytes uploaded so far.'),
      })
      .optional()
      .describe('Progress while the run is running.'),
  })
  .describe('Observed state of the run, written by the operator.');
export type BackupRunStatus = z.infer<typeof BackupRunStatus>;

export const BackupRun = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('BackupRun'),
  metadata: ObjectMeta,
  spec: BackupRunSpec,
  status: BackupRunStatus.optional(),
});
export type BackupRun = z.infer<typeof BackupRun>;

export const backupRunCrd: CrdDescriptor = {
  kind: 'BackupRun',
  plural: 'backupruns',
  shortNames: ['brun'],
  description:
    'BackupRun is one backup: one Job per source streams a PostgreSQL dump or a bucket archive, compressed, checksummed and optionally encrypted, into object storage. Create one with only scheduleRef to back up now.',
  spec: BackupRunSpec,
  status: BackupRunStatus,
  maxNameLength: MAX_LABELED_NAME_LENGTH,
  nameLengthReason: 'the run name is a label value on its Jobs',
  printerColumns: [
    { name: 'Schedule', type: 'string', jsonPath: '.spec.scheduleRef.name', description: 'Schedule the run belongs to.' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Pending, Running, Succeeded, PartiallyFailed or Failed.' },
    { name: 'Size', type: 'string', jsonPath: '.status.size', description: 'Total size of the artifacts.' },
    { name: 'Duration', type: 'string', jsonPath: '.status.duration', description: 'Time from start to completion.' },
    {
      name: 'Verified',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="Verified")].status',
      description: 'Whether the artifacts were read back and their checksums match.',
      priority: 1,
    },
    { name: 'Snapshot', type: 'date', jsonPath: '.status.snapshotTime', description: 'Age of the backed-up data.', priority: 1 },
    ageColumn,
  ],
};

/** Checks the API server cannot make; a run with only scheduleRef is checked once resolved. */
export function validateBackupRun(spec: BackupRunSpec): Problem[] {
  if (!spec.sources || !spec.storage) return [];
  return sourcesProblems(spec.sources, spec.storage, 'spec');
}
