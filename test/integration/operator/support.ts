// Shared helpers of the operator's end-to-end tests: the operator started in-process against the
// test environment (watching only the test's namespace, with its own lease), the application
// fixture, and readers for BackupRuns, Jobs and the backup bucket.
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { BACKUP_RUNS, BACKUP_SCHEDULES } from '../../../src/controllers/resource-types.ts';
import { KubeClient } from '../../../src/kube/client.ts';
import { EVENTS, JOBS, NAMESPACES, SECRETS } from '../../../src/kube/resource-type.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import { controllers } from '../../../src/operator/controllers.ts';
import { startOperator, type RunningOperator } from '../../../src/operator/operator.ts';
import { loadConfig } from '../../../src/runtime/config.ts';
import { installCrds, makeKubectl, type Kubectl } from '../api/kubectl.ts';
import { appFixture, scheduleManifest, secretManifests, seedBuckets, seedDatabase, type AppFixture, type ScheduleOptions } from '../../support/backup-fixture.ts';
import { testEnv } from '../../support/env.ts';
import { waitFor } from '../../support/wait.ts';

export { waitFor };

export interface RunObject extends KubeObject {
  spec: Record<string, unknown>;
  status?: {
    phase?: string;
    size?: string;
    sizeBytes?: number;
    duration?: string;
    snapshotTime?: string;
    completionTime?: string;
    manifestKey?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    artifacts?: { source: string; phase: string; key?: string; sizeBytes?: number; sha256?: string; message?: string; jobName?: string }[];
  };
}

export interface JobObject extends KubeObject {
  status?: { conditions?: { type: string; status: string }[]; succeeded?: number; failed?: number; active?: number };
}

export function testClient(): KubeClient {
  return KubeClient.load(testEnv().kubeconfig, { fieldManager: 'lifeboat-operator-test', requestTimeoutMs: 10_000 });
}

let crdsInstalled: Promise<void> | undefined;

/** The CRDs, once per test file (the API server may already have them from another file). */
export function ensureCrds(kubectl: Kubectl = makeKubectl()): Promise<void> {
  crdsInstalled ??= installCrds(kubectl);
  return crdsInstalled;
}

export interface OperatorOptions {
  namespace: string;
  /** Replicas of one operator share it. */
  leaseName?: string;
  /** For log lines: which replica. */
  identity?: string;
}

/** Starts the operator in this process, watching `namespace` only. Logs go to a quiet logger. */
export async function startTestOperator(options: OperatorOptions): Promise<RunningOperator> {
  const config = loadConfig(
    {
      LIFEBOAT_RUNNER_IMAGE: 'ghcr.io/lifeboat-dev/lifeboat-runner:dev',
      LIFEBOAT_WATCH_NAMESPACES: options.namespace,
      LIFEBOAT_LEASE_NAMESPACE: options.namespace,
      LIFEBOAT_LEASE_NAME: options.leaseName ?? 'lifeboat-operator',
      LIFEBOAT_HTTP_HOST: '127.0.0.1',
      LIFEBOAT_HTTP_PORT: '0',
      LIFEBOAT_LEASE_DURATION_SECONDS: '4',
      LIFEBOAT_RENEW_DEADLINE_SECONDS: '3',
      LIFEBOAT_RETRY_PERIOD_SECONDS: '1',
      LIFEBOAT_SHUTDOWN_TIMEOUT_SECONDS: '5',
      LIFEBOAT_LOG_LEVEL: process.env.LIFEBOAT_TEST_LOG_LEVEL ?? 'warn',
    },
    { hostname: options.identity ?? 'test-operator' },
  );
  const logger = pino({ level: config.logLevel, base: { replica: options.identity ?? 'test-operator' } }, pino.destination(2));
  return startOperator({ config, logger, client: testClient(), controllers, processMetrics: false });
}

export async function createNamespace(client: KubeClient, prefix: string, name = `${prefix}-${randomBytes(3).toString('hex')}`): Promise<string> {
  await client.create(NAMESPACES, { metadata: { name, labels: { 'lifeboat.dev/test': 'operator' } } });
  return name;
}

/** Database, buckets and Secrets of a fresh fixture in `namespace`. */
export async function seedFixture(client: KubeClient, namespace: string, options: { databasePassword?: string } = {}): Promise<AppFixture> {
  const env = testEnv();
  const fixture = appFixture(namespace, namespace);
  await seedDatabase(env, fixture.database);
  await seedBuckets(env, fixture);
  for (const secret of secretManifests(env, fixture, options.databasePassword)) await client.apply(SECRETS, secret as KubeObject, { force: true });
  return fixture;
}

export async function applySchedule(client: KubeClient, fixture: AppFixture, options: ScheduleOptions): Promise<KubeObject> {
  return client.apply(BACKUP_SCHEDULES, scheduleManifest(testEnv(), fixture, options) as KubeObject, { force: true });
}

/** "Back up now": a BackupRun with only scheduleRef. */
export async function createManualRun(client: KubeClient, namespace: string, name: string, schedule: string, extra: Record<string, unknown> = {}): Promise<RunObject> {
  return client.create<RunObject>(BACKUP_RUNS, {
    apiVersion: 'lifeboat.dev/v1alpha1',
    kind: 'BackupRun',
    metadata: { name, namespace },
    spec: { scheduleRef: { name: schedule }, ...extra },
  });
}

export async function getRun(client: KubeClient, namespace: string, name: string): Promise<RunObject | undefined> {
  return client.find<RunObject>(BACKUP_RUNS, namespace, name);
}

export async function listRuns(client: KubeClient, namespace: string): Promise<RunObject[]> {
  return (await client.list<RunObject>(BACKUP_RUNS, { namespace })).items;
}

export async function listJobs(client: KubeClient, namespace: string): Promise<JobObject[]> {
  return (await client.list<JobObject>(JOBS, { namespace })).items;
}

/** Waits until the run reaches a final phase and returns it. */
export async function waitForFinalRun(client: KubeClient, namespace: string, name: string, timeoutMs = 120_000): Promise<RunObject> {
  return waitFor(
    async () => {
      const run = await getRun(client, namespace, name);
      return run && ['Succeeded', 'PartiallyFailed', 'Failed'].includes(run.status?.phase ?? '') ? run : undefined;
    },
    { what: `BackupRun ${namespace}/${name} to finish`, timeoutMs, intervalMs: 1_000 },
  );
}

export async function eventReasons(client: KubeClient, namespace: string, name: string): Promise<string[]> {
  const events = (await client.list<KubeObject & { reason?: string; regarding?: { name?: string } }>(EVENTS, { namespace })).items;
  return events.filter((event) => event.regarding?.name === name).map((event) => event.reason ?? '');
}

export { BACKUP_RUNS, BACKUP_SCHEDULES, makeKubectl, NAMESPACES };
