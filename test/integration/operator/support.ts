// Shared helpers of the operator's end-to-end tests: the operator started in-process (or as its
// own process) against the test environment, as the ServiceAccount the install ships with only the
// shipped RBAC (test/support/operator-identity.ts; a Scene may name another install, such as the
// single-namespace one, and an endpoint in front of the API server), watching only the test's
// namespace, with its own lease; the application fixture; readers for BackupRuns, Jobs and the backup bucket; and
// Scene, which ties them to one test file's namespace and fails it if the API refused the operator
// anything.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pino from 'pino';
import { runnerImage } from '../../../src/contract/images.ts';
import { BACKUP_RUNS, BACKUP_SCHEDULES } from '../../../src/controllers/resource-types.ts';
import { KubeClient } from '../../../src/kube/client.ts';
import { EVENTS, JOBS, LEASES, NAMESPACES, SECRETS } from '../../../src/kube/resource-type.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import { controllers } from '../../../src/operator/controllers.ts';
import { startOperator, type RunningOperator } from '../../../src/operator/operator.ts';
import { loadConfig } from '../../../src/runtime/config.ts';
import { operatorVersion } from '../../../src/runtime/version.ts';
import { installCrds, makeKubectl, type Kubectl } from '../api/kubectl.ts';
import { repoRoot } from '../../env/paths.ts';
import {
  appFixture,
  listObjects,
  scheduleManifest,
  secretManifests,
  seedBuckets,
  seedDatabase,
  type AppFixture,
  type ScheduleOptions,
} from '../../support/backup-fixture.ts';
import { testEnv } from '../../support/env.ts';
import {
  OPERATOR_IDENTITY,
  operatorClient,
  SHIPPED_INSTALL,
  writeOperatorKubeconfig,
  type ApiEndpoint,
  type OperatorInstall,
} from '../../support/operator-identity.ts';
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
  status?: { conditions?: { type: string; status: string; reason?: string }[]; succeeded?: number; failed?: number; active?: number };
}

/** The tests' own client: admin, for fixtures and for reading what the operator did. */
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
  /** Replicas of one operator share it (testLease says where it is). */
  leaseName?: string;
  /** For log lines: which replica. */
  identity?: string;
  /** Overrides of operatorEnv, e.g. a lease that survives a slow API server under load. */
  env?: Record<string, string>;
  /** The install whose ServiceAccount and RBAC the operator runs under; the shipped cluster-wide one by default. */
  install?: OperatorInstall;
  /** Where the operator reaches the API server; the test API server itself by default. */
  endpoint?: ApiEndpoint;
}

/**
 * Where a test's operator keeps its lease: in the operator's own namespace (lifeboat-system unless
 * the install says otherwise), the one namespace where the leader-election Role lets the operator
 * write Leases, named for the test's namespace so that test files running at once never share one
 * (replicas of one test pass the same `leaseName`).
 */
export function testLease(namespace: string, leaseName: string, leaseNamespace: string = OPERATOR_IDENTITY.namespace): { namespace: string; name: string } {
  return { namespace: leaseNamespace, name: `${leaseName}-${namespace}` };
}

/**
 * The operator's environment for a test: only `namespace`, its own lease, quiet logs, and the
 * runner image the operator of this version defaults to (what `make images` builds): the test
 * kubelet runs it from build/images with runc, or, in process mode, as dist/runner. The lease
 * timings are the operator's defaults (15 s, renew deadline 10 s): with the 3-second deadline
 * tests once used, a loaded machine made the operator miss a renewal, and an operator that loses
 * its lease stops for good (in a cluster its Deployment restarts it; in a test nothing does).
 */
export function operatorEnv(namespace: string, leaseName: string, leaseNamespace?: string): Record<string, string> {
  const lease = testLease(namespace, leaseName, leaseNamespace);
  return {
    LIFEBOAT_RUNNER_IMAGE: runnerImage(operatorVersion()),
    LIFEBOAT_WATCH_NAMESPACES: namespace,
    LIFEBOAT_LEASE_NAMESPACE: lease.namespace,
    LIFEBOAT_LEASE_NAME: lease.name,
    LIFEBOAT_HTTP_HOST: '127.0.0.1',
    LIFEBOAT_HTTP_PORT: '0',
    LIFEBOAT_LEASE_DURATION_SECONDS: '15',
    LIFEBOAT_RENEW_DEADLINE_SECONDS: '10',
    LIFEBOAT_RETRY_PERIOD_SECONDS: '2',
    LIFEBOAT_SHUTDOWN_TIMEOUT_SECONDS: '5',
    LIFEBOAT_LOG_LEVEL: process.env.LIFEBOAT_TEST_LOG_LEVEL ?? 'warn',
  };
}

/**
 * An API server refusal in a log line: RBAC's and admission's message ("jobs.batch is forbidden:
 * User ... cannot create ...", "... is forbidden: cannot set blockOwnerDeletion ...") or a logged
 * KubeApiError's status. Not an S3 server's 403, which a test may cause on purpose.
 */
const REFUSED = /is forbidden: |"statusCode":403[,}]/;

/** Log lines of this process's test operators in which the API server refused something (403 Forbidden). */
const refusals: string[] = [];

export function operatorRefusals(): readonly string[] {
  return refusals;
}

/** Passes an operator's log through, noting every line that says the API refused a request. */
function refusalWatch(forward: (text: string) => void): (chunk: Buffer | string) => void {
  let partial = '';
  return (chunk) => {
    const text = partial + String(chunk);
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (REFUSED.test(line)) refusals.push(line);
    forward(String(chunk));
  };
}

/**
 * Starts the operator in this process, watching `namespace` only, as the ServiceAccount the
 * install ships (a fresh token for each start). Logs go to stderr at `warn`, and refusals are noted.
 */
export async function startTestOperator(options: OperatorOptions): Promise<RunningOperator> {
  const install = options.install ?? SHIPPED_INSTALL;
  const env = operatorEnv(options.namespace, options.leaseName ?? 'lifeboat-operator', install.identity.namespace);
  const config = loadConfig({ ...env, ...options.env }, { hostname: options.identity ?? 'test-operator' });
  const write = refusalWatch((text) => process.stderr.write(text));
  const logger = pino({ level: config.logLevel, base: { replica: options.identity ?? 'test-operator' } }, { write });
  const client = await operatorClient({ requestTimeoutMs: 10_000 }, install, options.endpoint);
  return startOperator({ config, logger, client, controllers, processMetrics: false });
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

/** Environment of an operator started as its own process (restart and standby tests). */
export interface OperatorProcessOptions {
  namespace: string;
  /** A kubeconfig of the operator's ServiceAccount (writeOperatorKubeconfig). */
  kubeconfig: string;
  leaseName: string;
  /** Where the lease is: the install's own namespace (lifeboat-system by default). */
  leaseNamespace?: string;
  /** POD_NAME: the lease identity's prefix, so a test can tell the replicas apart. */
  podName?: string;
  /** Overrides, e.g. a longer LIFEBOAT_LEASE_DURATION_SECONDS. */
  env?: Record<string, string>;
  /** Pipe stdout (the JSON logs) and stderr for the test to read, instead of dropping the logs. */
  captureOutput?: boolean;
}

/**
 * The built operator (dist/) as its own process, so that it can be stopped or killed for real.
 * Its logs (stdout) are always read, for refusals; with captureOutput the test reads them too.
 */
export function spawnOperator(options: OperatorProcessOptions): ChildProcess {
  const processEnv = {
    PATH: process.env.PATH,
    KUBECONFIG: options.kubeconfig,
    ...operatorEnv(options.namespace, options.leaseName, options.leaseNamespace),
    ...(options.podName ? { POD_NAME: options.podName } : {}),
    ...options.env,
  };
  const stdio = options.captureOutput ? (['ignore', 'pipe', 'pipe'] as const) : (['ignore', 'pipe', 'inherit'] as const);
  const child = spawn(process.execPath, [join(repoRoot, 'dist/operator/main.js')], { env: processEnv, stdio: [...stdio] });
  child.stdout?.on('data', refusalWatch(() => undefined));
  return child;
}

export interface SceneOptions {
  /**
   * The install whose ServiceAccount and RBAC the scene's operators run under, or a function that
   * makes it for the scene's namespace (an install that grants only that namespace); the shipped
   * cluster-wide install by default.
   */
  install?: OperatorInstall | ((namespace: string) => OperatorInstall | Promise<OperatorInstall>);
  /** Where the scene's operators reach the API server; the test API server itself by default. */
  endpoint?: ApiEndpoint;
}

/**
 * One test file's world: a namespace of its own with the application fixture (database,
 * buckets, Secrets) and optionally a schedule, the operators the test starts, and readers
 * scoped to the namespace. tearDown() stops the operators, deletes the namespace and closes
 * the client.
 */
export class Scene {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly fixture: AppFixture;
  /** The install the scene's operators run under (its ServiceAccount, and the namespace of their leases). */
  readonly install: OperatorInstall;
  readonly #endpoint: ApiEndpoint | undefined;
  /** The operator ServiceAccount's kubeconfig, for spawned operators. */
  readonly #operatorKubeconfig: string;
  readonly #operators = new Set<RunningOperator>();
  readonly #processes = new Set<ChildProcess>();

  private constructor(client: KubeClient, namespace: string, fixture: AppFixture, install: OperatorInstall, endpoint: ApiEndpoint | undefined, operatorKubeconfig: string) {
    this.client = client;
    this.namespace = namespace;
    this.fixture = fixture;
    this.install = install;
    this.#endpoint = endpoint;
    this.#operatorKubeconfig = operatorKubeconfig;
  }

  static async create(prefix: string, options: SceneOptions = {}): Promise<Scene> {
    const client = testClient();
    await ensureCrds();
    const namespace = await createNamespace(client, prefix);
    const install = typeof options.install === 'function' ? await options.install(namespace) : (options.install ?? SHIPPED_INSTALL);
    const operatorKubeconfig = await writeOperatorKubeconfig(install, options.endpoint);
    return new Scene(client, namespace, await seedFixture(client, namespace), install, options.endpoint, operatorKubeconfig);
  }

  applySchedule(options: ScheduleOptions): Promise<KubeObject> {
    return applySchedule(this.client, this.fixture, options);
  }

  /** An operator in this process, watching this namespace; stopped by tearDown if still running. */
  async startOperator(options: Omit<OperatorOptions, 'namespace'> = {}): Promise<RunningOperator> {
    const operator = await startTestOperator({ install: this.install, endpoint: this.#endpoint, ...options, namespace: this.namespace });
    this.#operators.add(operator);
    return operator;
  }

  async stopOperators(): Promise<void> {
    const operators = [...this.#operators];
    this.#operators.clear();
    await Promise.all(operators.map((operator) => operator.stop()));
  }

  /** An operator as its own process; killed by tearDown if still running. */
  spawnOperator(options: Omit<OperatorProcessOptions, 'namespace' | 'kubeconfig'>): ChildProcess {
    const child = spawnOperator({ leaseNamespace: this.install.identity.namespace, ...options, namespace: this.namespace, kubeconfig: this.#operatorKubeconfig });
    this.#processes.add(child);
    child.once('exit', () => this.#processes.delete(child));
    return child;
  }

  /** The Lease that operators started with `leaseName` share (see testLease). */
  lease<T extends KubeObject>(leaseName: string): Promise<T | undefined> {
    const { namespace, name } = testLease(this.namespace, leaseName, this.install.identity.namespace);
    return this.client.find<T>(LEASES, namespace, name);
  }

  createManualRun(name: string, schedule: string, extra: Record<string, unknown> = {}): Promise<RunObject> {
    return createManualRun(this.client, this.namespace, name, schedule, extra);
  }

  run(name: string): Promise<RunObject | undefined> {
    return getRun(this.client, this.namespace, name);
  }

  runs(): Promise<RunObject[]> {
    return listRuns(this.client, this.namespace);
  }

  async runNames(): Promise<string[]> {
    return (await this.runs()).map((run) => run.metadata.name ?? '');
  }

  /** The Jobs of one run (label lifeboat.dev/backup-run). */
  async jobsOf(run: string): Promise<JobObject[]> {
    return (await listJobs(this.client, this.namespace)).filter((job) => job.metadata.labels?.['lifeboat.dev/backup-run'] === run);
  }

  finalRun(name: string, timeoutMs?: number): Promise<RunObject> {
    return waitForFinalRun(this.client, this.namespace, name, timeoutMs);
  }

  /**
   * The run once the operator's read-back has verified it (Verified True). A test that changes a
   * stored artifact waits for this first: a read-back still under way would see the change and
   * fail the run's verification, and what the test means to exercise would never start.
   */
  verifiedRun(name: string, timeoutMs = 120_000): Promise<RunObject> {
    return waitFor(
      async () => {
        const run = await this.run(name);
        return run?.status?.conditions?.some((condition) => condition.type === 'Verified' && condition.status === 'True') ? run : undefined;
      },
      { what: `BackupRun ${name} to be verified`, timeoutMs },
    );
  }

  /**
   * The reasons of the events about `name`, once every one of `including` is among them (the
   * operator writes events after the status change they report, which is what a test waits for).
   */
  eventReasons(name: string, including: readonly string[] = [], timeoutMs = 30_000): Promise<string[]> {
    return waitFor(
      async () => {
        const reasons = await eventReasons(this.client, this.namespace, name);
        return including.every((reason) => reasons.includes(reason)) ? reasons : undefined;
      },
      { what: `events ${including.join(', ')} about ${name}`, timeoutMs, intervalMs: 500 },
    );
  }

  /** Keys under the run's folder in the backup bucket, relative to it. */
  async objectsOf(schedule: string, run: string): Promise<string[]> {
    const prefix = `backups/${this.namespace}/${schedule}/${run}/`;
    return (await listObjects(testEnv(), this.fixture.backupBucket, prefix)).map((object) => object.key.slice(prefix.length)).sort();
  }

  /**
   * Stops the operators, deletes the namespace and this test's leases, and fails if the API server
   * refused any of the operator's requests: the shipped RBAC must cover every flow.
   */
  async tearDown(): Promise<void> {
    for (const child of this.#processes) child.kill('SIGKILL');
    await this.stopOperators();
    await this.client.delete(NAMESPACES, undefined, this.namespace).catch(() => undefined);
    const suffix = `-${this.namespace}`;
    const leaseNamespace = this.install.identity.namespace;
    const leases = await this.client.list(LEASES, { namespace: leaseNamespace }).catch(() => ({ items: [] as KubeObject[] }));
    for (const lease of leases.items.filter((item) => item.metadata.name?.endsWith(suffix))) {
      await this.client.delete(LEASES, leaseNamespace, lease.metadata.name ?? '').catch(() => undefined);
    }
    await this.client.close();
    if (refusals.length > 0) throw new Error(`the API server refused the operator (the shipped RBAC lacks a rule):\n${refusals.join('\n')}`);
  }
}

export { BACKUP_RUNS, BACKUP_SCHEDULES, makeKubectl, NAMESPACES };
