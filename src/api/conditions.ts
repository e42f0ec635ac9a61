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
  /** The spec is valid and everything it references exists. */
  Ready: 'Ready',
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

export const ConditionReasons = {
  /** The API server accepted the spec but it cannot work; the message names the field. */
  InvalidSpec: 'InvalidSpec',
  /** A referenced object (schedule, run, Secret) does not exist. */
  ReferenceNotFound: 'ReferenceNotFound',
} as const;
