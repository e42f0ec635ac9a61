// BackupSchedule: what to back up, where to, how often, and how long to keep it.
import { z } from 'zod';
import { ageColumn, readyColumn, type CrdDescriptor } from './crd-descriptor.ts';
import { Conditions, observedGenerationField } from './conditions.ts';
import { checkSchedule, cronScheduleField, rpoProblems, timeZoneField } from './cron.ts';
import { durationField, parseDuration } from './duration.ts';
import { API_VERSION } from './group.ts';
import { JobTemplate } from './job-template.ts';
import { MAX_PARENT_NAME_LENGTH, ObjectName } from './names.ts';
import { ObjectMeta } from './object-meta.ts';
import { error, type Problem } from './problems.ts';
import { Retention } from './retention.ts';
import { BackupSources } from './sources.ts';
import { sourcesProblems } from './sources-validation.ts';
import { BackupStorage } from './storage.ts';

export const ScheduleObjectives = z
  .object({
    rpo: durationField(
      'Recovery point objective: the most data, in time, the application may lose. The schedule reports RPOMet=False the moment its newest successful backup is older than this.',
    ).optional(),
  })
  .describe('Objectives the schedule is measured against.');

export const BackupScheduleSpec = z
  .object({
    schedule: cronScheduleField(
      'When to back up: a cron expression with 5 fields (minute hour day-of-month month day-of-week), e.g. "30 2 * * *", or @hourly, @daily, @weekly, @monthly, @yearly.',
    ),
    timeZone: timeZoneField('IANA time zone the schedule is read in, e.g. Europe/Berlin. Defaults to UTC.').default('UTC'),
    suspend: z.boolean().default(false).describe('Stop creating new runs; runs already started finish. Defaults to false.'),
    concurrencyPolicy: z
      .enum(['Forbid', 'Replace'])
      .default('Forbid')
      .describe('What to do when a run is due while the previous one is still running: Forbid skips the new run, Replace stops the old one. Defaults to Forbid.'),
    startingDeadlineSeconds: z
      .int()
      .min(0)
      .optional()
      .describe('A run that could not start within this many seconds of its scheduled time (operator down, Forbid) is skipped and counted as missed.'),
    storage: BackupStorage,
    sources: BackupSources,
    retention: Retention.default({ keepLast: 7 }),
    objectives: ScheduleObjectives.optional(),
    jobTemplate: JobTemplate.optional(),
  })
  .describe('What to back up, where to, how often and how long to keep it.');
export type BackupScheduleSpec = z.infer<typeof BackupScheduleSpec>;

export const RunReference = z
  .object({
    name: ObjectName.describe('Name of the BackupRun.'),
    completionTime: z.iso.datetime({ offset: true }).optional().describe('When the run finished.'),
    snapshotTime: z.iso.datetime({ offset: true }).optional().describe('The consistent point in time of the backed-up data.'),
  })
  .describe('A BackupRun of this schedule.');

export const BackupScheduleStatus = z
  .object({
    observedGeneration: observedGenerationField,
    conditions: Conditions.optional(),
    lastScheduleTime: z.iso.datetime({ offset: true }).optional().describe('When the last run was created.'),
    nextScheduleTime: z.iso.datetime({ offset: true }).optional().describe('When the next run is due; empty while suspended.'),
    lastSuccessfulRun: RunReference.optional().describe('The newest run that succeeded.'),
    active: z
      .array(z.object({ name: ObjectName.describe('Name of the BackupRun.') }).describe('A BackupRun in progress.'))
      .max(16)
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })
      .optional()
      .describe('Runs that are in progress: backing up, or having their artifacts read back after the backup (Verified Unknown).'),
    backupCount: z.int().min(0).optional().describe('Successful backups currently kept.'),
    totalSizeBytes: z.int().min(0).optional().describe('Total size of the kept backups in bytes.'),
    totalSize: z.string().max(32).optional().describe('Total size of the kept backups, human-readable (e.g. 12.4 GiB).'),
  })
  .describe('Observed state of the schedule, written by the operator.');
export type BackupScheduleStatus = z.infer<typeof BackupScheduleStatus>;

export const BackupSchedule = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('BackupSchedule'),
  metadata: ObjectMeta,
  spec: BackupScheduleSpec,
  status: BackupScheduleStatus.optional(),
});
export type BackupSchedule = z.infer<typeof BackupSchedule>;

export const backupScheduleCrd: CrdDescriptor = {
  kind: 'BackupSchedule',
  plural: 'backupschedules',
  shortNames: ['bsched'],
  description:
    'BackupSchedule backs up PostgreSQL databases and S3 buckets on a cron schedule into S3-compatible storage, keeps them by grandfather-father-son retention and reports whether the recovery point objective is met.',
  spec: BackupScheduleSpec,
  status: BackupScheduleStatus,
  maxNameLength: MAX_PARENT_NAME_LENGTH,
  nameLengthReason: 'runs are named <schedule>-<timestamp> and must fit in a 63-character label',
  printerColumns: [
    { name: 'Schedule', type: 'string', jsonPath: '.spec.schedule', description: 'Cron schedule.' },
    {
      name: 'Last Success',
      type: 'date',
      jsonPath: '.status.lastSuccessfulRun.completionTime',
      description: 'Time since the newest successful backup finished.',
    },
    { name: 'Next', type: 'string', jsonPath: '.status.nextScheduleTime', description: 'When the next run is due.' },
    readyColumn(),
    {
      name: 'RPO Met',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="RPOMet")].status',
      description: 'Whether the newest successful backup is younger than the RPO.',
    },
    { name: 'Suspended', type: 'boolean', jsonPath: '.spec.suspend', description: 'Whether new runs are suspended.', priority: 1 },
    { name: 'Backups', type: 'integer', jsonPath: '.status.backupCount', description: 'Successful backups kept.', priority: 1 },
    { name: 'Size', type: 'string', jsonPath: '.status.totalSize', description: 'Total size of the kept backups.', priority: 1 },
    ageColumn,
  ],
};

/** What the API server cannot check: the time zone exists, the cron fires, the RPO is reachable. */
export function validateBackupSchedule(spec: BackupScheduleSpec): Problem[] {
  const timing = checkSchedule(spec.schedule, spec.timeZone, { schedule: 'spec.schedule', timeZone: 'spec.timeZone' });
  const problems = [...timing.problems, ...sourcesProblems(spec.sources, spec.storage, 'spec')];
  const rpo = spec.objectives?.rpo;
  if (rpo !== undefined) {
    const rpoMs = parseDuration(rpo);
    if (!rpoMs) problems.push(error('spec.objectives.rpo', `"${rpo}" must be a duration longer than zero, e.g. 24h`));
    else problems.push(...rpoProblems(rpoMs, timing.longestGapMs, 'spec.objectives.rpo'));
  }
  return problems;
}
