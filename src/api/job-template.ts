// How the Jobs that run the runner are shaped. Typed subsets of the core types, so that mistakes
// are rejected at apply time instead of when the first Job is created at 2 a.m.
import { z } from 'zod';
import { DNS_SUBDOMAIN, ObjectName } from './names.ts';

/** resource.Quantity as the Kubernetes API accepts it: 500m, 1, 1.5, 256Mi, 2Gi, 1e3. */
const QUANTITY =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

const Quantity = z.union([z.int(), z.string().regex(new RegExp(QUANTITY))]);

const ResourceList = z.record(z.string().regex(new RegExp(`^(${DNS_SUBDOMAIN.slice(1, -1)}/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)), Quantity);

export const ResourceRequirements = z
  .object({
    requests: ResourceList.optional().describe('Minimum resources, e.g. {cpu: 250m, memory: 256Mi}.'),
    limits: ResourceList.optional().describe('Maximum resources, e.g. {memory: 1Gi}.'),
  })
  .describe('CPU and memory for the runner container, as in a Pod spec.');

export const Toleration = z
  .object({
    key: z.string().max(316).optional().describe('Taint key the toleration applies to; empty with operator Exists matches all taints.'),
    operator: z.enum(['Exists', 'Equal']).default('Equal').describe('Exists or Equal. Defaults to Equal.'),
    value: z.string().max(63).optional().describe('Taint value to match when operator is Equal.'),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional().describe('Taint effect to match; empty matches all effects.'),
    tolerationSeconds: z.int().min(0).optional().describe('How long a NoExecute taint is tolerated before eviction.'),
  })
  .describe('A Pod toleration, as in a Pod spec.');

export const JobTemplate = z
  .object({
    activeDeadlineSeconds: z
      .int()
      .min(1)
      .max(7 * 24 * 3600)
      .optional()
      .describe('Seconds a Job may run before Kubernetes stops it and the source counts as failed.'),
    backoffLimit: z.int().min(0).max(10).default(2).describe('Retries of a failed Job pod before the source counts as failed. Defaults to 2. Only failures that may pass on a retry (a server unreachable, a tool that crashed) are retried; a permanent one (wrong password, corrupt artifact, non-empty target) fails the Job at once through its podFailurePolicy.'),
    ttlSecondsAfterFinished: z
      .int()
      .min(0)
      .optional()
      .describe('Seconds after which Kubernetes deletes a finished Job; the run keeps its results in status.'),
    resources: ResourceRequirements.optional(),
    nodeSelector: z.record(z.string().max(317), z.string().max(63)).optional().describe('Node labels the runner pods must be scheduled onto.'),
    tolerations: z.array(Toleration).max(32).optional().describe('Tolerations of the runner pods.'),
    serviceAccountName: ObjectName.optional().describe('ServiceAccount the runner pods run as, e.g. one with an IRSA role for S3. Defaults to the namespace default.'),
    image: z.string().min(1).max(512).regex(/^[^\s]+$/).optional().describe('Runner image to use instead of the operator\'s default (the one it was released with).'),
    imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional().describe('Pull policy for the runner image.'),
  })
  .describe('Settings for the Jobs that run the backups (one Job per source).');
export type JobTemplate = z.infer<typeof JobTemplate>;
