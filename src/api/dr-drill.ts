// DRDrill: the plan of a disaster-recovery drill. Declare a disaster, recover from it into
// scratch targets for real, check the data, and measure the RTO and RPO. Each execution is a
// DRDrillRun (dr-drill-run.ts) the drill owns, as a schedule owns its BackupRuns.
import { z } from 'zod';
import { withRules } from './cel.ts';
import { Conditions, observedGenerationField } from './conditions.ts';
import { ageColumn, type CrdDescriptor } from './crd-descriptor.ts';
import { checkSchedule, cronScheduleField, timeZoneField } from './cron.ts';
import { durationField, parseDuration } from './duration.ts';
import { API_VERSION } from './group.ts';
import { JobTemplate } from './job-template.ts';
import { DnsLabel, localObjectReference, MAX_PARENT_NAME_LENGTH, ObjectName } from './names.ts';
import { ObjectMeta } from './object-meta.ts';
import { postgresServerShape } from './postgres.ts';
import { error, type Problem } from './problems.ts';
import { RestoreDecryption } from './restore-request.ts';
import { s3ConnectionShape } from './s3.ts';

export const DrillObjectives = z
  .object({
    rto: durationField('Recovery time objective: the longest the recovery may take, from the declared incident (drill start) to verified data.'),
    rpo: durationField('Recovery point objective: the most data, in time, that may be lost (incident time minus the newest data in the restored copy).'),
  })
  .describe('Objectives the drill is measured against.');

export const ScratchPostgres = z
  .object(postgresServerShape)
  .describe(
    'A PostgreSQL server where the drill may create throwaway databases; the user in connectionSecret needs CREATEDB. The drill creates new, empty databases named lifeboat_scratch_<id>_<n> (the id: the incident\'s Unix seconds and 4 characters of the run\'s uid; listed in the run\'s status.scratch) and drops only names with that prefix. Never point this at production.',
  );

export const ScratchS3 = z
  .object(s3ConnectionShape)
  .describe(
    'An S3 endpoint where the drill may create throwaway buckets; the credentials need to create and delete buckets. The drill creates new, empty buckets named lifeboat-scratch-<id>-<n> (listed in the run\'s status.scratch) and deletes only names with that prefix. Without credentialsSecret the backup storage\'s key pair is used.',
  );

export const Scratch = z
  .object({
    postgres: ScratchPostgres.optional(),
    s3: ScratchS3.optional(),
    cleanup: z
      .enum(['Always', 'OnSuccess', 'Never'])
      .default('Always')
      .describe('When to remove the throwaway databases and buckets after the drill: Always, OnSuccess (keep them to investigate a failure) or Never. Defaults to Always. Leftovers are listed in the DRDrillRun status and in an event.'),
  })
  .describe('Where the drill restores to: scratch targets it creates new and empty for each run (a name that already exists fails the drill), and removes afterwards.');

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
      .describe('Compare the restored objects\' count and SHA-256 with the backup manifest. Defaults to true.'),
    schemaObjects: z
      .boolean()
      .default(true)
      .describe('Check that every schema object in the dump\'s table of contents (tables, views, sequences, functions, indexes...) exists after the restore. Defaults to true.'),
    freshness: z
      .object({
        source: sourceField,
        query: queryField('Query returning one timestamp: the newest data in the restored copy, e.g. SELECT max(updated_at) FROM diagrams.'),
      })
      .optional()
      .describe('How to find the newest data in the restored copy; the RPO is measured from it. Without it the RPO is measured from the backup\'s snapshot time.'),
  })
  .describe('How the restored data is checked before it counts as recovered.');

export const DrillBackupChoice = z
  .object({
    olderThan: durationField(
      'Restore the newest backup whose snapshot is at least this old instead of the newest one: the "malicious deletion noticed late" drill, where the newest backups already hold the damage. The RPO is measured as usual, so it shows what going back this far costs.',
    ).optional(),
  })
  .describe('Which backup the drill recovers from. By default the newest complete one, found through the run manifests in the schedule\'s storage.');

/** What one execution does: shared by the drill's spec and a run's spec.plan. */
export const drillPlanShape = {
  scheduleRef: localObjectReference('BackupSchedule').describe(
    'Schedule whose backups the drill recovers from. Only its spec (where the backups are) is read; the backup itself is found through the run manifests in that storage, not through BackupRuns or status.',
  ),
  scenario: z
    .enum(['DatabaseLoss', 'StorageLoss', 'CompleteFailure'])
    .describe('The disaster declared: DatabaseLoss restores the PostgreSQL sources, StorageLoss the bucket sources, CompleteFailure all of them.'),
  backup: DrillBackupChoice.optional(),
  objectives: DrillObjectives,
  scratch: Scratch,
  verify: Verify.default({ rowCounts: true, objectChecksums: true, schemaObjects: true }),
  decryption: RestoreDecryption.optional().describe(
    'How to decrypt an encrypted backup: the Secret with the age identity. Without it, the backup schedule\'s storage.encryption.identitySecret is used. Keeping the identity only here proves the key held apart from the backups works.',
  ),
  timeout: durationField('How long a drill may take in all before it is stopped and fails with reason Timeout (cleanup still runs). Defaults to 2h.').default('2h'),
  jobTemplate: JobTemplate.optional().describe('Settings for the drill\'s Jobs (provision, restore, verify, cleanup): resources, node selection, tolerations, service account.'),
};

const scratchRules = [
  {
    rule: "self.scenario == 'StorageLoss' || has(self.scratch.postgres)",
    message: 'scenarios DatabaseLoss and CompleteFailure restore the database: set scratch.postgres',
    fieldPath: '.scratch',
    check: (s: { scenario: string; scratch: { postgres?: unknown } }) => s.scenario === 'StorageLoss' || s.scratch.postgres !== undefined,
  },
  {
    rule: "self.scenario == 'DatabaseLoss' || has(self.scratch.s3)",
    message: 'scenarios StorageLoss and CompleteFailure restore buckets: set scratch.s3',
    fieldPath: '.scratch',
    check: (s: { scenario: string; scratch: { s3?: unknown } }) => s.scenario === 'DatabaseLoss' || s.scratch.s3 !== undefined,
  },
];

export const DrillPlan = withRules(z.object(drillPlanShape), scratchRules).describe('What one drill does: the disaster, the objectives, where to recover to and how to check the result.');
export type DrillPlan = z.infer<typeof DrillPlan>;

export const DRDrillSpec = withRules(
  z.object({
    ...drillPlanShape,
    schedule: cronScheduleField('When to repeat the drill, e.g. "0 4 * * 0" for Sundays at 04:00. Without it the drill runs once, when created (editing or re-applying it does not run it again: create a DRDrillRun with drillRef to drill now).').optional(),
    timeZone: timeZoneField('IANA time zone the schedule is read in. UTC when unset.').optional(),
    suspend: z.boolean().default(false).describe('Do not start new drills; a drill already running finishes. Defaults to false.'),
    startingDeadlineSeconds: z
      .int()
      .min(0)
      .optional()
      .describe('A drill that could not start within this many seconds of its scheduled time (operator down, another drill still running) is skipped and reported as missed, not run late.'),
    historyLimit: z.int().min(1).max(50).default(10).describe('Finished DRDrillRuns kept, those created by hand included; older ones are deleted, oldest first, but the newest passed run is always kept (so lastPassed and its alert stay true). Defaults to 10.'),
  }),
  [
    ...scratchRules,
    {
      rule: '!has(self.timeZone) || has(self.schedule)',
      message: 'timeZone only applies to a recurring drill: set schedule, or remove timeZone',
      fieldPath: '.timeZone',
      check: (s) => s.timeZone === undefined || s.schedule !== undefined,
    },
  ],
).describe('The disaster to declare, the objectives, where to recover to and how to check the result, and optionally when to repeat it.');
export type DRDrillSpec = z.infer<typeof DRDrillSpec>;

const time = (description: string) => z.iso.datetime({ offset: true }).optional().describe(description);

export const DrillResult = z.enum(['Running', 'Passed', 'Failed']);
export const ObjectivesSummary = z.enum(['Met', 'RTOMissed', 'RPOMissed', 'BothMissed']);

export const DrillRunSummary = z
  .object({
    name: ObjectName.describe('Name of the DRDrillRun.'),
    result: DrillResult.optional().describe('Running, Passed or Failed.'),
    reason: z.string().max(64).optional().describe('Why it failed, as a stable CamelCase word (e.g. CheckFailed, RPOMissed, Timeout).'),
    startTime: time('When the drill started: the declared incident.'),
    completionTime: time('When the drill finished.'),
    rto: z.string().max(32).optional().describe('Measured RTO, e.g. 41m12s.'),
    rpo: z.string().max(32).optional().describe('Measured RPO, e.g. 2h11m.'),
    objectives: ObjectivesSummary.optional().describe('Met, RTOMissed, RPOMissed or BothMissed.'),
  })
  .describe('A short summary of one DRDrillRun; the run itself has the steps, checks and figures.');

export const DRDrillStatus = z
  .object({
    observedGeneration: observedGenerationField,
    conditions: Conditions.optional(),
    nextRunTime: time('When the next drill is due, for a recurring drill; empty while suspended.'),
    lastScheduleTime: time('When the drill last started a run.'),
    active: ObjectName.optional().describe('The DRDrillRun in progress, if any.'),
    latest: DrillRunSummary.optional().describe('The newest DRDrillRun.'),
    lastPassed: DrillRunSummary.optional().describe('The newest DRDrillRun that passed.'),
    lastPassedTime: time('When the newest passed drill finished: alert when this gets too old.'),
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
    'DRDrill declares a disaster and recovers from it for real: each run (a DRDrillRun) restores a backup found through object storage into new scratch targets, checks the data and records the measured RTO and RPO against the objectives.',
  spec: DRDrillSpec,
  status: DRDrillStatus,
  maxNameLength: MAX_PARENT_NAME_LENGTH,
  nameLengthReason: 'runs are named <drill>-<timestamp> and must fit in a 63-character label',
  printerColumns: [
    { name: 'Scenario', type: 'string', jsonPath: '.spec.scenario', description: 'The disaster declared.' },
    { name: 'Result', type: 'string', jsonPath: '.status.latest.result', description: 'Passed, Failed or Running: the newest run.' },
    { name: 'RTO', type: 'string', jsonPath: '.status.latest.rto', description: 'Measured recovery time of the newest run.' },
    { name: 'RPO', type: 'string', jsonPath: '.status.latest.rpo', description: 'Measured recovery point of the newest run.' },
    { name: 'Objectives', type: 'string', jsonPath: '.status.latest.objectives', description: 'Met, RTOMissed, RPOMissed or BothMissed.' },
    { name: 'Last Run', type: 'date', jsonPath: '.status.latest.startTime', description: 'Time since the newest run started.' },
    { name: 'Last Passed', type: 'date', jsonPath: '.status.lastPassedTime', description: 'Time since the newest passed run finished.' },
    { name: 'Next', type: 'string', jsonPath: '.status.nextRunTime', description: 'When the next drill is due.', priority: 1 },
    { name: 'Reason', type: 'string', jsonPath: '.status.latest.reason', description: 'Why the newest run failed.', priority: 1 },
    ageColumn,
  ],
};

/** What the API server cannot check: zone and cron, durations above zero. */
export function validateDrillPlan(plan: DrillPlan, field = 'spec'): Problem[] {
  const problems: Problem[] = [];
  for (const objective of ['rto', 'rpo'] as const) {
    const value = plan.objectives[objective];
    if (!parseDuration(value)) problems.push(error(`${field}.objectives.${objective}`, `"${value}" must be a duration longer than zero, e.g. 1h`));
  }
  if (!parseDuration(plan.timeout)) problems.push(error(`${field}.timeout`, `"${plan.timeout}" must be a duration longer than zero, e.g. 2h`));
  const olderThan = plan.backup?.olderThan;
  if (olderThan !== undefined && !parseDuration(olderThan)) problems.push(error(`${field}.backup.olderThan`, `"${olderThan}" must be a duration longer than zero, e.g. 6h`));
  return problems;
}

export function validateDRDrill(spec: DRDrillSpec): Problem[] {
  const problems: Problem[] = [];
  if (spec.schedule !== undefined) {
    problems.push(...checkSchedule(spec.schedule, spec.timeZone, { schedule: 'spec.schedule', timeZone: 'spec.timeZone' }).problems);
  }
  return [...problems, ...validateDrillPlan(spec)];
}
