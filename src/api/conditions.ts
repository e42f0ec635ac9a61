// metav1.Condition, with the same constraints the Kubernetes API puts on it, and the condition
// types and reasons Lifeboat uses (stable: users alert on them).
import { z } from 'zod';

export const Condition = z
  .object({
    type: z
      .string()
      .min(1)
      .max(316)
      .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/)
      .describe('Type of condition in CamelCase, e.g. Ready.'),
    status: z.enum(['True', 'False', 'Unknown']).describe('Status of the condition: True, False or Unknown.'),
    observedGeneration: z.int().min(0).optional().describe('metadata.generation the condition was set for.'),
    lastTransitionTime: z.iso.datetime({ offset: true }).describe('Last time the condition changed status.'),
    reason: z
      .string()
      .min(1)
      .max(1024)
      .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
      .describe('Machine-readable CamelCase reason for the last transition.'),
    message: z.string().max(32768).describe('Human-readable details of the last transition.'),
  })
  .describe('Standard Kubernetes condition (metav1.Condition).');
export type Condition = z.infer<typeof Condition>;

export const Conditions = z
  .array(Condition)
  .max(16)
  .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] })
  .describe('Current state of the object as standard conditions; see docs/api.md for the types and reasons.');

export const observedGenerationField = z
  .int()
  .min(0)
  .optional()
  .describe('metadata.generation of the spec this status was computed from.');

export const ConditionTypes = {
  /**
   * Every kind: True when the object is current (a run finished well, a schedule or drill is
   * healthy), False while it is in progress or has failed; the reason says which
   * (docs/adr/0013-conditions-follow-kstatus.md).
   */
  Ready: 'Ready',
  /** Every kind, only while True: the object is in progress (kstatus InProgress); same reason and message as Ready. */
  Reconciling: 'Reconciling',
  /** Every kind, only while True: the object failed and needs a person (kstatus Failed); same reason and message as Ready. */
  Stalled: 'Stalled',
  /** BackupSchedule: the newest successful backup is younger than spec.objectives.rpo. */
  RPOMet: 'RPOMet',
  /** BackupRun, RestoreRequest: finished (see phase for how). */
  Complete: 'Complete',
  /** BackupRun: the artifacts were read back and their checksums match. */
  Verified: 'Verified',
  /** DRDrill: the newest finished DRDrillRun passed (its reason is the condition's reason); absent until one finished. */
  LastRunPassed: 'LastRunPassed',
} as const;
export type ConditionType = (typeof ConditionTypes)[keyof typeof ConditionTypes];

/** Reasons of Ready, Reconciling and Stalled shared by several kinds (each kind's own are in docs/api.md). */
export const ConditionReasons = {
  /** Failed: the API server accepted the spec but it cannot work; the message names the field. */
  InvalidSpec: 'InvalidSpec',
  /** A referenced object (schedule, run, Secret) does not exist: in progress while the grace period lasts, then failed. */
  ReferenceNotFound: 'ReferenceNotFound',
  /** BackupRun, RestoreRequest in progress: no Job has started yet. */
  Pending: 'Pending',
  /** BackupRun, RestoreRequest, DRDrillRun in progress: Jobs are running. */
  Running: 'Running',
  /** BackupRun, RestoreRequest current: finished, every source or target succeeded. */
  Succeeded: 'Succeeded',
  /** BackupRun current: recreated from its run manifest in storage (catalog sync). */
  Imported: 'Imported',
  /** BackupRun, RestoreRequest failed: a Job failed (the message says which and why). */
  JobFailed: 'JobFailed',
  /** BackupRun, RestoreRequest failed: some sources or targets succeeded, others failed. */
  PartiallyFailed: 'PartiallyFailed',
  /** DRDrillRun current: the drill passed. */
  Passed: 'Passed',
  /** BackupSchedule current: runs are created on its cron. DRDrill current: drills start on its cron. */
  Scheduled: 'Scheduled',
  /** BackupSchedule, DRDrill current: suspended, nothing new starts. */
  Suspended: 'Suspended',
  /** DRDrill current: a drill without a schedule, which runs once. */
  OneOff: 'OneOff',
  /** BackupSchedule failed: the RPO objective is missed (also with no successful backup once creation + rpo passed). */
  ObjectiveMissed: 'ObjectiveMissed',
  /** BackupSchedule failed: the newest finished BackupRun failed (or partially failed). */
  LastBackupFailed: 'LastBackupFailed',
  /** DRDrill failed: the newest finished DRDrillRun failed. */
  LastRunFailed: 'LastRunFailed',
  /** DRDrill in progress: its first run is running and none has finished yet. */
  FirstRunInProgress: 'FirstRunInProgress',
} as const;
