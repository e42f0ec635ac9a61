// DRDrill: declare a disaster, recover from it into scratch targets for real, check the data,
// and record the measured RTO and RPO.
import { z } from 'zod';
import { withRules } from './cel.ts';
import { Conditions, observedGenerationField } from './conditions.ts';
import { ageColumn, type CrdDescriptor } from './crd-descriptor.ts';
import { checkSchedule, cronScheduleField, timeZoneField } from './cron.ts';
import { durationField, parseDuration } from './duration.ts';
import { API_VERSION } from './group.ts';
import { DnsLabel, localObjectReference, MAX_PARENT_NAME_LENGTH, ObjectName } from './names.ts';
import { ObjectMeta } from './object-meta.ts';
import { postgresServerShape } from './postgres.ts';
import { error, type Problem } from './problems.ts';
import { s3ConnectionShape } from './s3.ts';

export const DrillObjectives = z
  .object({
    rto: durationField('Recovery time objective: the longest the recovery may take, from the declared incident (drill start) to verified data.'),
    rpo: durationField('Recovery point objective: the most data, in time, that may be lost (incident time minus the newest data in the restored copy).'),
  })
  .describe('Objectives the drill is measured against.');

export const ScratchPostgres = z
  .object({
    ...postgresServerShape,
    databasePrefix: z
      .string()
      .min(1)
      .max(30)
      .regex(/^[a-z_][a-z0-9_]*$/)
      .default('lifeboat_drill')
      .describe('Prefix of the throwaway databases the drill creates. Defaults to lifeboat_drill.'),
  })
  .describe('A PostgreSQL server where the drill may create throwaway databases; the user in connectionSecret needs CREATEDB. Never point this at production.');

export const ScratchS3 = z
  .object({
    ...s3ConnectionShape,
    bucketPrefix: z
      .string()
      .min(3)
      .max(30)
      .regex(/^[a-z0-9][a-z0-9-]*$/)
      .default('lifeboat-drill')
      .describe('Prefix of the throwaway buckets the drill creates. Defaults to lifeboat-drill.'),
  })
  .describe('An S3 endpoint where the drill may create throwaway buckets; the credentials need to create and delete buckets.');

export const Scratch = z
  .object({
    postgres: ScratchPostgres.optional(),
    s3: ScratchS3.optional(),
    cleanup: z
      .enum(['Always', 'OnSuccess', 'Never'])
      .default('Always')
      .describe('When to remove the throwaway databases and buckets after the drill: Always, OnSuccess (keep them to investigate a failure) or Never. Defaults to Always.'),
  })
  .describe('Where the drill restores to. The targets must be empty before the restore; the drill creates and removes them.');

export const SqlExpectation = withRules(
  z.object({
    rows: z.int().min(0).optional().describe('The query returns exactly this many rows.'),
    equals: z.string().max(1024).optional().describe('The first column of the first row, as text, equals this.'),
    atLeast: z.number().optional().describe('The first column of the first row is a number at least this.'),
    atMost: z.number().optional().describe('The first column of the first row is a number at most this.'),
  }),
  [
    {
      rule: 'has(self.rows) || has(self.equals) || has(self.atLeast) || has(self.atMost)',
      message: 'set at least one expectation: rows, equals, atLeast or atMost',
      check: (e) => [e.rows, e.equals, e.atLeast, e.atMost].some((v) => v !== undefined),
    },
    {
      rule: '!has(self.atLeast) || !has(self.atMost) || self.atLeast <= self.atMost',
      message: 'atLeast must not be greater than atMost',
      check: (e) => e.atLeast === undefined || e.atMost === undefined || e.atLeast <= e.atMost,
    },
  ],
).describe('What the query must return; every expectation set must hold.');

const sourceField = DnsLabel.optional().describe(
  'PostgreSQL source of the schedule whose restored copy is queried; may be omitted when the schedule has one PostgreSQL source.',
);
const queryField = (what: string) => z.string().min(1).max(4096).describe(`${what} It runs in a read-only transaction.`);

export const SqlCheck = z
  .object({
    name: DnsLabel.describe('Name of the check, unique within the drill; shown in status.checks.'),
    source: sourceField,
    query: queryField('SQL query run against the restored database.'),
    expect: SqlExpectation,
  })
  .describe('A query against the restored database and what it must return.');

export const Verify = z
  .object({
    sql: z
      .array(SqlCheck)
      .max(32)
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })
      .optional()
      .describe('SQL checks with expectations.'),
    rowCounts: z
      .boolean()
      .default(true)
      .describe('Compare the row count of every table with the count taken in the backup\'s own snapshot. Defaults to true.'),
    objectChecksums: z
      .boolean()
      .default(true)
      .describe('Compare the restored objects\' count and checksums with the backup manifest. Defaults to true.'),
    freshness: z
      .object({
        source: sourceField,
        query: queryField('Query returning one timestamp: the newest data in the restored copy, e.g. SELECT max(updated_at) FROM diagrams.'),
      })
      .optional()
      .describe('How to find the newest data in the restored copy; the RPO is measured from it. Without it the RPO is measured from the backup\'s snapshot time.'),
  })
  .describe('How the restored data is checked before it counts as recovered.');

export const DRDrillSpec = withRules(
  z.object({
    scheduleRef: localObjectReference('BackupSchedule').describe(
      'Schedule whose backups the drill recovers from. The backup is found through the manifests in the schedule\'s storage, not through cluster state.',
    ),
    scenario: z
      .enum(['DatabaseLoss', 'StorageLoss', 'CompleteFailure'])
      .describe('The disaster declared: DatabaseLoss restores the PostgreSQL sources, StorageLoss the bucket sources, CompleteFailure everything, found through object storage alone.'),
    schedule: cronScheduleField('When to repeat the drill, e.g. "0 4 * * 0" for Sundays at 04:00. Without it the drill runs once, when created.').optional(),
    timeZone: timeZoneField('IANA time zone the schedule is read in. UTC when unset.').optional(),
    suspend: z.boolean().default(false).describe('Do not start new drills. Defaults to false.'),
    objectives: DrillObjectives,
    scratch: Scratch,
    verify: Verify.default({ rowCounts: true, objectChecksums: true }),
    historyLimit: z.int().min(1).max(50).default(10).describe('Completed drills kept in status.history. Defaults to 10.'),
  }),
  [
    {
      rule: "self.scenario == 'StorageLoss' || has(self.scratch.postgres)",
      message: 'scenarios DatabaseLoss and CompleteFailure restore the database: set scratch.postgres',
      fieldPath: '.scratch',
      check: (s) => s.scenario === 'StorageLoss' || s.scratch.postgres !== undefined,
    },
    {
      rule: "self.scenario == 'DatabaseLoss' || has(self.scratch.s3)",
      message: 'scenarios StorageLoss and CompleteFailure restore buckets: set scratch.s3',
      fieldPath: '.scratch',
      check: (s) => s.scenario === 'DatabaseLoss' || s.scratch.s3 !== undefined,
    },
    {
      rule: '!has(self.timeZone) || has(self.schedule)',
      message: 'timeZone only applies to a recurring drill: set schedule, or remove timeZone',
      fieldPath: '.timeZone',
      check: (s) => s.timeZone === undefined || s.schedule !== undefined,
    },
  ],
).describe('The disaster to declare, the objectives, where to recover to and how to check the result.');
export type DRDrillSpec = z.infer<typeof DRDrillSpec>;

const time = (description: string) => z.iso.datetime({ offset: true }).optional().describe(description);
const DrillResult = z.enum(['Running', 'Passed', 'Failed']);
const ObjectivesSummary = z.enum(['Met', 'RTOMissed', 'RPOMissed', 'BothMissed']);

const measured = {
  target: z.string().max(32).optional().describe('The objective, as in spec.objectives.'),
  measured: z.string().max(32).optional().describe('The measured value, e.g. 41m12s.'),
  measuredSeconds: z.number().min(0).optional().describe('The measured value in seconds.'),
  met: z.boolean().optional().describe('Whether the measured value is within the objective.'),
};

export const StepName = z.enum(['SelectBackup', 'Provision', 'RestoreDatabase', 'RestoreBuckets', 'Verify', 'Cleanup']);

export const DrillStep = z
  .object({
    name: StepName.describe('SelectBackup, Provision, RestoreDatabase, RestoreBuckets, Verify or Cleanup.'),
    phase: z.enum(['Pending', 'Running', 'Succeeded', 'Failed', 'Skipped']).optional().describe('State of the step.'),
    startTime: time('When the step started.'),
    completionTime: time('When the step finished.'),
    duration: z.string().max(32).optional().describe('Time the step took, e.g. 3m2s.'),
    message: z.string().max(4096).optional().describe('What happened, e.g. why the step failed.'),
  })
  .describe('One step of the latest drill.');

export const DrillCheck = z
  .object({
    name: z.string().max(253).describe('Check name: the SQL check\'s name, or the table, bucket or step it concerns.'),
    type: z.enum(['Sql', 'RowCount', 'ObjectCount', 'Checksum', 'Freshness']).describe('Sql, RowCount, ObjectCount, Checksum or Freshness.'),
    result: z.enum(['Passed', 'Failed']).describe('Passed or Failed.'),
    expected: z.string().max(1024).optional().describe('What was expected.'),
    actual: z.string().max(1024).optional().describe('What was found.'),
    message: z.string().max(4096).optional().describe('Details, e.g. the error of a failed query.'),
  })
  .describe('One verification of the latest drill.');

export const DrillHistoryEntry = z
  .object({
    startTime: z.iso.datetime({ offset: true }).describe('When the drill started (the declared incident).'),
    completionTime: time('When the drill finished.'),
    result: z.enum(['Passed', 'Failed']).describe('Passed or Failed.'),
    backup: z.string().max(253).optional().describe('BackupRun the drill recovered from.'),
    rto: z.string().max(32).optional().describe('Measured RTO.'),
    rpo: z.string().max(32).optional().describe('Measured RPO.'),
    objectives: ObjectivesSummary.optional().describe('Met, RTOMissed, RPOMissed or BothMissed.'),
    reportKey: z.string().max(2048).optional().describe('Object key of the drill\'s Markdown report.'),
  })
  .describe('Summary of a completed drill.');

export const DRDrillStatus = z
  .object({
    observedGeneration: observedGenerationField,
    conditions: Conditions.optional(),
    result: DrillResult.optional().describe('Outcome of the latest drill: Passed, Failed, or Running while it is in progress.'),
    startTime: time('When the latest drill started: the declared incident time.'),
    completionTime: time('When the latest drill finished.'),
    nextRunTime: time('When the next drill is due, for a recurring drill.'),
    backup: z
      .object({
        name: ObjectName.optional().describe('BackupRun recovered from, when it still exists in the cluster.'),
        manifestKey: z.string().max(2048).optional().describe('Object key of the run manifest the drill read.'),
        snapshotTime: time('The consistent point in time of the backup.'),
      })
      .optional()
      .describe('The backup the latest drill recovered from, found in object storage.'),
    rto: z.object(measured).optional().describe('Recovery time: from the declared incident (drill start) to verified data.'),
    rpo: z
      .object({
        ...measured,
        basis: z
          .enum(['Freshness', 'SnapshotTime'])
          .optional()
          .describe('What the newest data time came from: the freshness query, or the backup\'s snapshot time.'),
        newestDataTime: time('Time of the newest data found in the restored copy.'),
      })
      .optional()
      .describe('Recovery point: incident time minus the newest data in the restored copy.'),
    objectives: ObjectivesSummary.optional().describe('Whether the latest drill met its objectives: Met, RTOMissed, RPOMissed or BothMissed.'),
    steps: z
      .array(DrillStep)
      .max(16)
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })
      .optional()
      .describe('Steps of the latest drill, in order, each with its start and duration.'),
    checks: z.array(DrillCheck).max(256).optional().describe('Verifications of the latest drill.'),
    scratch: z
      .object({
        databases: z.array(z.string().max(63)).max(16).optional().describe('Throwaway databases created.'),
        buckets: z.array(z.string().max(63)).max(16).optional().describe('Throwaway buckets created.'),
      })
      .optional()
      .describe('Scratch resources of the latest drill, so that leftovers can be found.'),
    report: z
      .object({
        jsonKey: z.string().max(2048).optional().describe('Object key of the JSON report in the schedule\'s storage.'),
        markdownKey: z.string().max(2048).optional().describe('Object key of the Markdown report in the schedule\'s storage.'),
      })
      .optional()
      .describe('Where the latest drill\'s report was written.'),
    history: z.array(DrillHistoryEntry).max(50).optional().describe('Completed drills, newest first, at most spec.historyLimit.'),
  })
  .describe('Observed state of the drill, written by the operator.');
export type DRDrillStatus = z.infer<typeof DRDrillStatus>;

export const DRDrill = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('DRDrill'),
  metadata: ObjectMeta,
  spec: DRDrillSpec,
  status: DRDrillStatus.optional(),
});
export type DRDrill = z.infer<typeof DRDrill>;

export const drDrillCrd: CrdDescriptor = {
  kind: 'DRDrill',
  plural: 'drdrills',
  shortNames: ['drill'],
  description:
    'DRDrill declares a disaster and recovers from it for real: it restores the newest backup into scratch targets, checks the data and records the measured RTO and RPO against the objectives.',
  spec: DRDrillSpec,
  status: DRDrillStatus,
  maxNameLength: MAX_PARENT_NAME_LENGTH,
  nameLengthReason: 'scratch resources and Jobs are named <drill>-<timestamp>',
  printerColumns: [
    { name: 'Scenario', type: 'string', jsonPath: '.spec.scenario', description: 'The disaster declared.' },
    { name: 'Result', type: 'string', jsonPath: '.status.result', description: 'Passed, Failed or Running.' },
    { name: 'RTO', type: 'string', jsonPath: '.status.rto.measured', description: 'Measured recovery time.' },
    { name: 'RPO', type: 'string', jsonPath: '.status.rpo.measured', description: 'Measured recovery point.' },
    { name: 'Objectives', type: 'string', jsonPath: '.status.objectives', description: 'Met, RTOMissed, RPOMissed or BothMissed.' },
    { name: 'Last Run', type: 'date', jsonPath: '.status.startTime', description: 'Time since the latest drill started.' },
    { name: 'Next', type: 'string', jsonPath: '.status.nextRunTime', description: 'When the next drill is due.', priority: 1 },
    { name: 'Backup', type: 'string', jsonPath: '.status.backup.name', description: 'BackupRun recovered from.', priority: 1 },
    ageColumn,
  ],
};

/** What the API server cannot check: zone and cron, objectives above zero. */
export function validateDRDrill(spec: DRDrillSpec): Problem[] {
  const problems: Problem[] = [];
  if (spec.schedule !== undefined) {
    problems.push(...checkSchedule(spec.schedule, spec.timeZone, { schedule: 'spec.schedule', timeZone: 'spec.timeZone' }).problems);
  }
  for (const objective of ['rto', 'rpo'] as const) {
    const value = spec.objectives[objective];
    if (!parseDuration(value)) {
      problems.push(error(`spec.objectives.${objective}`, `"${value}" must be a duration longer than zero, e.g. 1h`));
    }
  }
  return problems;
}
