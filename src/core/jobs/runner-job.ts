// The Job every runner step runs in: one container, restartPolicy Never, non-root with a
// read-only root file system and no capabilities, an emptyDir for scratch space, the task as JSON
// in an env var and credentials only through secretKeyRef. Plain JSON typed with client-node's
// models (types only: the core never loads client-node).
import type { V1EnvVar, V1Job, V1ResourceRequirements, V1SecurityContext } from '@kubernetes/client-node';
import type { JobTemplate } from '../../api/index.ts';
import { RunnerEnv, RunnerExit, SCRATCH_PATH, TERMINATION_MESSAGE_PATH } from '../../contract/runner-env.ts';
import { controllerReference } from '../metadata.ts';
import { runnerMallocTunables, runnerNodeOptions } from './runner-heap.ts';

/** Operator-wide settings for runner Jobs; a run's jobTemplate overrides them. */
export interface RunnerJobOptions {
  /** The runner image the operator was released with. */
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never' | undefined;
  /** When the jobTemplate sets none. */
  resources?: V1ResourceRequirements | undefined;
  /** When the jobTemplate sets none: a hung backup must not hold a Forbid schedule forever. */
  activeDeadlineSeconds?: number | undefined;
  /** Size limit of the scratch emptyDir, e.g. "10Gi"; none by default. */
  scratchSizeLimit?: string | undefined;
}

export const DEFAULT_RESOURCES: V1ResourceRequirements = {
  requests: { cpu: '100m', memory: '256Mi' },
  limits: { memory: '1Gi' },
};
/** A day: longer than any backup a daily schedule can afford, short enough to end a hung one. */
export const DEFAULT_ACTIVE_DEADLINE_SECONDS = 86_400;
const DEFAULT_BACKOFF_LIMIT = 2;

/** The distroless "nonroot" user. */
export const RUNNER_UID = 65532;

export const CONTAINER_SECURITY_CONTEXT: V1SecurityContext = {
  runAsNonRoot: true,
  runAsUser: RUNNER_UID,
  runAsGroup: RUNNER_UID,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

export interface RunnerJobInput {
  name: string;
  namespace: string;
  owner: { kind: string; name: string; uid: string };
  labels: Record<string, string>;
  subcommand: string;
  task: unknown;
  /** secretKeyRef variables only. */
  credentials: V1EnvVar[];
  jobTemplate?: JobTemplate | undefined;
}

function quantities(list: Record<string, string | number> | undefined): Record<string, string> | undefined {
  return list && Object.fromEntries(Object.entries(list).map(([name, value]) => [name, String(value)]));
}

function resourcesOf(template: JobTemplate | undefined, options: RunnerJobOptions): V1ResourceRequirements {
  const resources = template?.resources;
  if (!resources) return options.resources ?? DEFAULT_RESOURCES;
  const requests = quantities(resources.requests);
  const limits = quantities(resources.limits);
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}

export function buildRunnerJob(input: RunnerJobInput, options: RunnerJobOptions): V1Job {
  const template = input.jobTemplate;
  const imagePullPolicy = template?.imagePullPolicy ?? options.imagePullPolicy;
  const resources = resourcesOf(template, options);
  const nodeOptions = runnerNodeOptions(resources.limits?.memory);
  const mallocTunables = runnerMallocTunables(resources.limits?.memory);
  const env: V1EnvVar[] = [
    { name: RunnerEnv.task, value: JSON.stringify(input.task) },
    { name: RunnerEnv.resultFile, value: TERMINATION_MESSAGE_PATH },
    { name: RunnerEnv.tmpDir, value: SCRATCH_PATH },
    // pg_dump and friends look for files under HOME; the root file system is read-only.
    { name: RunnerEnv.home, value: SCRATCH_PATH },
    ...(nodeOptions ? [{ name: RunnerEnv.nodeOptions, value: nodeOptions }] : []),
    ...(mallocTunables ? [{ name: RunnerEnv.mallocTunables, value: mallocTunables }] : []),
    ...input.credentials,
  ];
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: input.name,
      namespace: input.namespace,
      labels: input.labels,
      ownerReferences: [controllerReference(input.owner)],
    },
    spec: {
      backoffLimit: template?.backoffLimit ?? DEFAULT_BACKOFF_LIMIT,
      activeDeadlineSeconds: template?.activeDeadlineSeconds ?? options.activeDeadlineSeconds ?? DEFAULT_ACTIVE_DEADLINE_SECONDS,
      ...(template?.ttlSecondsAfterFinished === undefined ? {} : { ttlSecondsAfterFinished: template.ttlSecondsAfterFinished }),
      podFailurePolicy: {
        rules: [
          // A wrong password or a corrupt artifact fails the same way on every attempt.
          { action: 'FailJob', onExitCodes: { containerName: 'runner', operator: 'In', values: [RunnerExit.usage, RunnerExit.permanent] } },
          // An evicted or preempted pod is not the runner's failure: retry without counting it.
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
        ],
      },
      template: {
        metadata: { labels: input.labels },
        spec: {
          restartPolicy: 'Never',
          // The runner never calls the Kubernetes API. (IRSA and similar inject their own token.)
          automountServiceAccountToken: false,
          ...(template?.serviceAccountName ? { serviceAccountName: template.serviceAccountName } : {}),
          ...(template?.nodeSelector ? { nodeSelector: template.nodeSelector } : {}),
          ...(template?.tolerations ? { tolerations: template.tolerations } : {}),
          securityContext: {
            runAsNonRoot: true,
            runAsUser: RUNNER_UID,
            runAsGroup: RUNNER_UID,
            fsGroup: RUNNER_UID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'runner',
              image: template?.image ?? options.image,
              ...(imagePullPolicy ? { imagePullPolicy } : {}),
              args: [input.subcommand],
              env,
              resources,
              volumeMounts: [{ name: 'scratch', mountPath: SCRATCH_PATH }],
              terminationMessagePath: TERMINATION_MESSAGE_PATH,
              // A runner that dies before writing its result still leaves the tail of its log.
              terminationMessagePolicy: 'FallbackToLogsOnError',
              securityContext: CONTAINER_SECURITY_CONTEXT,
            },
          ],
          volumes: [{ name: 'scratch', emptyDir: options.scratchSizeLimit ? { sizeLimit: options.scratchSizeLimit } : {} }],
        },
      },
    },
  };
}
