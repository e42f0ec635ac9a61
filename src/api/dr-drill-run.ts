// DRDrillRun: one execution of a DRDrill. Its start is the declared incident; it selects a
// backup through object storage, provisions new scratch targets, restores into them, verifies
// the data, cleans up, and records every step, check and figure, and a report in storage.
// Created by its drill (schedule or first apply), or by hand with only drillRef: "drill now".
import { z } from 'zod';
import { withRules } from './cel.ts';
import { Conditions, observedGenerationField } from './conditions.ts';
import { ageColumn, type CrdDescriptor } from './crd-descriptor.ts';
import { DrillPlan, DrillResult, ObjectivesSummary, validateDrillPlan } from './dr-drill.ts';
import { API_VERSION } from './group.ts';
import { localObjectReference, MAX_LABELED_NAME_LENGTH, ObjectName } from './names.ts';
import { ObjectMeta } from './object-meta.ts';
import type { Problem } from './problems.ts';

export const DRDrillRunSpec = withRules(
  z.object({
    drillRef: localObjectReference('DRDrill').describe('The drill this run executes.'),
    plan: DrillPlan.optional().describe(
      'What this run does, copied from the drill when the drill creates the run, so that editing the drill never changes a run in progress. A run created by hand leaves it out: the drill\'s spec is copied into status.plan at the first reconcile.',
    ),
  }),
  [{ rule: 'self == oldSelf', message: 'spec is immutable: create a new DRDrillRun to drill again' }],
).describe('The drill to run now.');
export type DRDrillRunSpec = z.infer<typeof DRDrillRunSpec>;

const time = (description: string) => z.iso.datetime({ offset: true }).optional().describe(description);
const seconds = (description: string) => z.number().min(0).optional().describe(description);
const text = (max: number, description: string) => z.string().max(max).optional().describe(description);

export const DrillStepName = z.enum(['SelectBackup', 'Provision', 'RestoreDatabase', 'RestoreBuckets', 'Verify', 'Cleanup']);
export type DrillStepName = z.infer<typeof DrillStepName>;

export const DrillStep = z
  .object({
    name: DrillStepName.describe('SelectBackup, Provision, RestoreDatabase, RestoreBuckets, Verify or Cleanup.'),
    phase: z.enum(['Pending', 'Running', 'Succeeded', 'Failed', 'Skipped']).optional().describe('Pending, Running, Succeeded, Failed or Skipped.'),
    startTime: time('When the step started.'),
    completionTime: time('When the step finished.'),
    duration: text(32, 'Time the step took, e.g. 3m2s.'),
    durationSeconds: seconds('Time the step took, in seconds.'),
    message: text(1024, 'What happened, e.g. why the step failed.'),
  })
  .describe('One step of the drill.');

export const DrillCheck = z
  .object({
    name: z.string().max(253).describe('The SQL check\'s name, or the table, source or object it concerns.'),
    type: z.enum(['Sql', 'RowCount', 'ObjectCount', 'Checksum', 'SchemaObjects', 'Freshness']).describe('Sql, RowCount, ObjectCount, Checksum, SchemaObjects or Freshness.'),
    source: text(63, 'Source of the backup the check is about.'),
    result: z.enum(['Passed', 'Failed']).describe('Passed or Failed.'),
    expected: text(256, 'What was expected.'),
    actual: text(256, 'What was found.'),
    message: text(512, 'Details, e.g. the error of a failed query.'),
  })
  .describe('One verification of the restored data.');

const measured = {
  objective: text(32, 'The objective, as in the plan.'),
  objectiveSeconds: seconds('The objective in seconds.'),
  measured: text(32, 'The measured value, e.g. 41m12s.'),
  measuredSeconds: seconds('The measured value in seconds.'),
  met: z.boolean().optional().describe('Whether the measured value is within the objective.'),
};

export const DRDrillRunStatus = z
  .object({
    observedGeneration: observedGenerationField,
    conditions: Conditions.optional(),
    result: DrillResult.optional().describe('Running, Passed or Failed.'),
    reason: text(64, 'Why the drill failed, as a stable CamelCase word: NoBackup, ScratchExists, RestoreFailed, ChecksumMismatch, CheckFailed, RTOMissed, RPOMissed, Timeout, ...'),
    message: text(1024, 'What happened, in a sentence, and what to do about it.'),
    startTime: time('When the drill started: the declared incident.'),
    completionTime: time('When the drill finished, cleanup included.'),
    plan: DrillPlan.optional().describe('For a run created by hand: the drill\'s spec as read at the first reconcile.'),
    backup: z
      .object({
        run: ObjectName.optional().describe('The backup run the drill recovered from (the name its manifest records).'),
        manifestKey: z.string().max(2048).optional().describe('Object key of the run manifest, found by listing the storage.'),
        snapshotTime: time('The consistent point in time of the backup.'),
        sizeBytes: z.int().min(0).optional().describe('Total size of the artifacts restored.'),
        encrypted: z.boolean().optional().describe('Whether the restored artifacts are age-encrypted.'),
        sources: z
          .array(
            z
              .object({
                name: z.string().max(63).describe('Source name, as in the schedule.'),
                kind: z.enum(['Postgres', 'Bucket']).describe('Postgres or Bucket.'),
              })
              .describe('A source of the backup the scenario restores.'),
          )
          .max(16)
          .optional()
          .describe('The sources this drill restores, in the order of the manifest.'),
        skipped: z
          .array(
            z
              .object({
                run: ObjectName.describe('The backup run passed over (the name its manifest records).'),
                manifestKey: z.string().max(2048).optional().describe('Object key of its run manifest.'),
                snapshotTime: time('Its snapshot time.'),
                reason: text(512, 'Why: the read-back verdict stored next to its manifest (verification.json), e.g. the artifact whose SHA-256 did not match.'),
              })
              .describe('A newer backup the drill did not recover from.'),
          )
          .max(8)
          .optional()
          .describe('Newer backups passed over because the verdict stored with them says their read-back failed, newest first (at most 8; the SelectBackup step says how many in all). A backup without a verdict is never skipped.'),
      })
      .optional()
      .describe('The backup the drill recovered from, found through object storage alone.'),
    steps: z
      .array(DrillStep)
      .max(6)
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })
      .optional()
      .describe('The steps, in order, each with its start and duration.'),
    checks: z.array(DrillCheck).max(64).optional().describe('The verifications (failed ones first; the report lists all of them).'),
    checksSummary: z
      .object({
        passed: z.int().min(0).describe('Checks that passed.'),
        failed: z.int().min(0).describe('Checks that failed.'),
      })
      .optional()
      .describe('How many checks passed and failed, also those left out of checks for size.'),
    rto: z
      .object({
        ...measured,
        restoreSeconds: seconds('Time the restore Jobs took (from the first start to the last end).'),
        restoredBytes: z.int().min(0).optional().describe('Bytes of the artifacts restored.'),
        throughputBytesPerSecond: z.int().min(0).optional().describe('restoredBytes over restoreSeconds.'),
      })
      .optional()
      .describe('Recovery time: from the declared incident (the run\'s start) to verified data.'),
    rpo: z
      .object({
        ...measured,
        basis: z.enum(['Freshness', 'SnapshotTime']).optional().describe('What the newest data time came from: the freshness query, or the backup\'s snapshot time.'),
        newestDataTime: time('Time of the newest data in the restored copy.'),
      })
      .optional()
      .describe('Recovery point: incident time minus the newest data in the restored copy.'),
    deliveredRpo: z
      .object({
        worstGap: text(32, 'The largest gap between consecutive successful backups in the retained history, or from the newest to the incident, whichever is larger.'),
        worstGapSeconds: seconds('worstGap in seconds.'),
        gapToIncident: text(32, 'From the newest successful backup\'s snapshot to the incident.'),
        backupsConsidered: z.int().min(0).optional().describe('Successful backups (run manifests) the figure is computed from.'),
        oldestConsidered: time('Snapshot time of the oldest backup considered.'),
        met: z.boolean().optional().describe('Whether the worst gap is within the RPO objective.'),
      })
      .optional()
      .describe('The worst-case RPO the schedule actually delivered over its retained backups, next to the objective.'),
    objectives: ObjectivesSummary.optional().describe('Met, RTOMissed, RPOMissed or BothMissed.'),
    scratch: z
      .object({
        databases: z.array(z.string().max(63)).max(16).optional().describe('Throwaway databases of this run.'),
        buckets: z.array(z.string().max(63)).max(16).optional().describe('Throwaway buckets of this run.'),
        leftBehind: z.array(z.string().max(128)).max(32).optional().describe('Scratch resources not removed (cleanup policy, or a failed cleanup): remove them by hand.'),
      })
      .optional()
      .describe('The scratch resources of this run.'),
    report: z
      .object({
        jsonKey: z.string().max(2048).optional().describe('Object key of the JSON report in the schedule\'s storage.'),
        jsonSha256: z.string().regex(/^[0-9a-f]{64}$/).optional().describe('SHA-256 of the JSON report.'),
        markdownKey: z.string().max(2048).optional().describe('Object key of the Markdown report.'),
        markdownSha256: z.string().regex(/^[0-9a-f]{64}$/).optional().describe('SHA-256 of the Markdown report.'),
      })
      .optional()
      .describe('Where the report was written, next to the backups, readable without Lifeboat.'),
  })
  .describe('Observed state of the drill run, written by the operator.');
export type DRDrillRunStatus = z.infer<typeof DRDrillRunStatus>;

export const DRDrillRun = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('DRDrillRun'),
  metadata: ObjectMeta,
  spec: DRDrillRunSpec,
  status: DRDrillRunStatus.optional(),
});
export type DRDrillRun = z.infer<typeof DRDrillRun>;

export const drDrillRunCrd: CrdDescriptor = {
  kind: 'DRDrillRun',
  plural: 'drdrillruns',
  shortNames: ['drillrun'],
  description:
    'DRDrillRun is one disaster-recovery drill: from the declared incident (its start) it finds a backup through object storage, restores it into new scratch targets, verifies the data, cleans up, and records the measured RTO and RPO, every step and check, and a report.',
  spec: DRDrillRunSpec,
  status: DRDrillRunStatus,
  maxNameLength: MAX_LABELED_NAME_LENGTH,
  nameLengthReason: 'the name is a label value on its Jobs',
  printerColumns: [
    { name: 'Drill', type: 'string', jsonPath: '.spec.drillRef.name', description: 'The drill executed.' },
    { name: 'Result', type: 'string', jsonPath: '.status.result', description: 'Running, Passed or Failed.' },
    { name: 'Reason', type: 'string', jsonPath: '.status.reason', description: 'Why it failed.' },
    { name: 'RTO', type: 'string', jsonPath: '.status.rto.measured', description: 'Measured recovery time.' },
    { name: 'RPO', type: 'string', jsonPath: '.status.rpo.measured', description: 'Measured recovery point.' },
    { name: 'Objectives', type: 'string', jsonPath: '.status.objectives', description: 'Met, RTOMissed, RPOMissed or BothMissed.' },
    { name: 'Backup', type: 'string', jsonPath: '.status.backup.run', description: 'The backup recovered from.', priority: 1 },
    { name: 'Worst RPO', type: 'string', jsonPath: '.status.deliveredRpo.worstGap', description: 'Worst-case RPO the schedule delivered.', priority: 1 },
    ageColumn,
  ],
};

export function validateDRDrillRun(spec: DRDrillRunSpec): Problem[] {
  return spec.plan ? validateDrillPlan(spec.plan, 'spec.plan') : [];
}
