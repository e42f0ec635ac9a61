// The operator's configuration, from environment variables, checked once at start: a bad value
// stops the process with a message naming the variable, instead of misbehaving later.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { LOG_LEVELS, type LogLevel } from './logger.ts';

export interface LeaderElectionConfig {
  enabled: boolean;
  leaseName: string;
  leaseNamespace: string;
  /** This process's identity in the Lease: the pod name plus a per-process suffix. */
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface OperatorConfig {
  /** Namespaces whose objects are reconciled, or 'all'. */
  watchNamespaces: 'all' | string[];
  /** Concurrent reconciles per controller. */
  workers: number;
  resyncPeriodMs: number;
  leaderElection: LeaderElectionConfig;
  http: { host: string; port: number };
  logLevel: LogLevel;
  /** The lifeboat-runner image the backup, restore and drill Jobs run. */
  runnerImage: string;
  /** How long a shutdown waits for reconciles in flight. */
  shutdownTimeoutMs: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const int = (min: number, max: number, unit = '') =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, { error: `must be a whole number${unit}` })
    .transform(Number)
    .pipe(z.number().min(min, { error: `must be at least ${min}${unit}` }).max(max, { error: `must be at most ${max}${unit}` }));

const namespaceName = z.string().regex(DNS_LABEL, { error: 'must be a namespace name (lower-case letters, digits, -)' }).max(63);

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' }))
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const imageReference = z
  .string({ error: 'is required: the lifeboat-runner image that backup and restore Jobs run' })
  .trim()
  .regex(/^[^\s]+$/, { error: 'must be an image reference without spaces' });

/** Every variable the operator reads, with its default. */
const envSchema = (runnerImageDefault: string | undefined) =>
  z
    .object({
      LIFEBOAT_WATCH_NAMESPACES: z
        .string()
        .default('')
        .transform((value) => value.split(',').map((part) => part.trim()).filter(Boolean))
        .pipe(z.union([z.array(z.literal('*')).length(1), z.array(namespaceName)], { error: 'must be "*" or a comma-separated list of namespace names' })),
      LIFEBOAT_WORKERS: int(1, 64).default(2),
      LIFEBOAT_RESYNC_PERIOD_SECONDS: int(10, 86_400, ' (seconds)').default(600),
      LIFEBOAT_LEADER_ELECTION: bool.default(true),
      LIFEBOAT_LEASE_NAME: z.string().regex(DNS_LABEL, { error: 'must be a DNS label' }).max(63).default('lifeboat-operator'),
      LIFEBOAT_LEASE_NAMESPACE: namespaceName.optional(),
      POD_NAMESPACE: namespaceName.optional(),
      LIFEBOAT_LEASE_DURATION_SECONDS: int(2, 300, ' (seconds)').default(15),
      LIFEBOAT_RENEW_DEADLINE_SECONDS: int(1, 299, ' (seconds)').default(10),
      LIFEBOAT_RETRY_PERIOD_SECONDS: int(1, 60, ' (seconds)').default(2),
      POD_NAME: z.string().min(1).max(100).optional(),
      LIFEBOAT_HTTP_HOST: z.string().min(1).default('0.0.0.0'),
      LIFEBOAT_HTTP_PORT: int(0, 65_535).default(8080),
      LIFEBOAT_LOG_LEVEL: z.enum(LOG_LEVELS as [LogLevel, ...LogLevel[]], { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
      // Defaults to the runner image of the operator's own version; required when that is unknown.
      LIFEBOAT_RUNNER_IMAGE: runnerImageDefault === undefined ? imageReference : imageReference.default(runnerImageDefault),
      LIFEBOAT_SHUTDOWN_TIMEOUT_SECONDS: int(1, 3_600, ' (seconds)').default(25),
    })
    .superRefine((env, context) => {
      if (env.LIFEBOAT_RENEW_DEADLINE_SECONDS >= env.LIFEBOAT_LEASE_DURATION_SECONDS) {
        context.addIssue({
          code: 'custom',
          path: ['LIFEBOAT_RENEW_DEADLINE_SECONDS'],
          message: `must be less than LIFEBOAT_LEASE_DURATION_SECONDS (${env.LIFEBOAT_LEASE_DURATION_SECONDS}), or two replicas could lead at once`,
        });
      }
      if (env.LIFEBOAT_RETRY_PERIOD_SECONDS >= env.LIFEBOAT_RENEW_DEADLINE_SECONDS) {
        context.addIssue({
          code: 'custom',
          path: ['LIFEBOAT_RETRY_PERIOD_SECONDS'],
          message: `must be less than LIFEBOAT_RENEW_DEADLINE_SECONDS (${env.LIFEBOAT_RENEW_DEADLINE_SECONDS}), or a leader gets no second try to renew`,
        });
      }
      if (env.LIFEBOAT_LEADER_ELECTION && !env.LIFEBOAT_LEASE_NAMESPACE && !env.POD_NAMESPACE) {
        context.addIssue({
          code: 'custom',
          path: ['LIFEBOAT_LEASE_NAMESPACE'],
          message: 'is required with leader election (or set POD_NAMESPACE from the downward API)',
        });
      }
    });

export interface ConfigDefaults {
  /** The runner image when LIFEBOAT_RUNNER_IMAGE is unset: the operator passes the one of its own version. */
  runnerImage?: string;
  hostname?: string;
  /** Suffix that makes the identity unique per process. */
  instanceSuffix?: string;
}

/** Reads and checks the configuration; throws ConfigError listing every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env, defaults: ConfigDefaults = {}): OperatorConfig {
  // An empty variable means "not set", as in most shells' `VAR=` and Kubernetes' `value: ""`.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema(defaults.runnerImage).safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? 'environment');
      const value = env[variable];
      return `  ${variable}: ${issue.message}${value !== undefined && value !== '' ? ` (got ${JSON.stringify(value)})` : ''}`;
    });
    throw new ConfigError(`invalid operator configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const namespaces = e.LIFEBOAT_WATCH_NAMESPACES;
  const suffix = defaults.instanceSuffix ?? randomBytes(4).toString('hex');
  return {
    watchNamespaces: namespaces.length === 0 || namespaces[0] === '*' ? 'all' : [...new Set(namespaces)],
    workers: e.LIFEBOAT_WORKERS,
    resyncPeriodMs: e.LIFEBOAT_RESYNC_PERIOD_SECONDS * 1000,
    leaderElection: {
      enabled: e.LIFEBOAT_LEADER_ELECTION,
      leaseName: e.LIFEBOAT_LEASE_NAME,
      leaseNamespace: e.LIFEBOAT_LEASE_NAMESPACE ?? e.POD_NAMESPACE ?? '',
      // A restarted container keeps its pod name, so the suffix keeps identities unique.
      identity: `${e.POD_NAME ?? defaults.hostname ?? hostname()}_${suffix}`,
      leaseDurationMs: e.LIFEBOAT_LEASE_DURATION_SECONDS * 1000,
      renewDeadlineMs: e.LIFEBOAT_RENEW_DEADLINE_SECONDS * 1000,
      retryPeriodMs: e.LIFEBOAT_RETRY_PERIOD_SECONDS * 1000,
    },
    http: { host: e.LIFEBOAT_HTTP_HOST, port: e.LIFEBOAT_HTTP_PORT },
    logLevel: e.LIFEBOAT_LOG_LEVEL,
    runnerImage: e.LIFEBOAT_RUNNER_IMAGE,
    shutdownTimeoutMs: e.LIFEBOAT_SHUTDOWN_TIMEOUT_SECONDS * 1000,
  };
}
