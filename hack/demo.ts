// The Node half of `make demo` (hack/demo.sh runs it and prints what a user would type). Reads
// the demo's environment from the state file in LIFEBOAT_DEMO_STATE (default .testenv/state.json).
//   node hack/demo.ts prepare DIR [PID]   start the test environment (torn down by itself when PID
//                                         exits) and write DIR/env.sh (KUBECONFIG, PG*, AWS_*, ...
//                                         for the shell), DIR/<kind>.yaml, the manifests a user
//                                         would apply: schedule, backup-now, restore, drill, drill-now,
//                                         and .testenv/demo-operator/kustomization.yaml, deploy/overlays/cluster-wide
//                                         for this one-host cluster (operator-install.ts)
//   node hack/demo.ts seed                database, buckets, namespace and Secrets
//   node hack/demo.ts wait-backup NAME    wait for the BackupRun to succeed, then list its artifacts
//                                         and say what ran it (image, runc, pg_dump and server versions)
//   node hack/demo.ts wait-restore NAME   wait for the RestoreRequest to succeed
//   node hack/demo.ts wait-drill DRILL    wait for the drill's first run to pass
//   node hack/demo.ts wait-drill-run NAME wait for the DRDrillRun to pass, printing its steps
//   node hack/demo.ts compare RUN1 RUN2   the two drills side by side; fails unless the second
//                                         lost exactly the row written after the backup
// Every wait fails (exit 1, with the reason from status) when its object ends anywhere but the
// expected state, or does not get there in time. Node starts slowly on a busy machine, so the
// script calls it as few times as it can.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { BACKUP_RUNS, DR_DRILL_RUNS, DR_DRILLS, RESTORE_REQUESTS } from '../src/controllers/resource-types.ts';
import { KubeClient } from '../src/kube/client.ts';
import { KubeApiError } from '../src/kube/errors.ts';
import { NAMESPACES, PODS, SECRETS } from '../src/kube/resource-type.ts';
import type { KubeObject } from '../src/kube/types.ts';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { kubeletMode } from '../test/env/environment.ts';
import { freePort } from '../test/env/ports.ts';
import { repoRoot } from '../test/env/paths.ts';
import { writeOperatorOverlay } from '../test/integration/operator/operator-install.ts';
import { isAlive, launchSupervisor, readState } from '../test/env/supervisor.ts';
import {
  adminS3,
  appFixture,
  listObjects,
  scheduleManifest,
  SECRET_NAMES,
  secretManifests,
  seedBuckets,
  seedDatabase,
  withDatabase,
} from '../test/support/backup-fixture.ts';
import type { TestEnvInfo } from '../test/support/env.ts';

const NAMESPACE = 'demo';
const SCHEDULE = 'app';
const BACKUP = 'app-now';
const RESTORE = 'app-restore';
const RESTORED_DATABASE = 'app_restored';
const DRILL = 'app-drill';
const DRILL_NOW = 'drill-now';
/** The row step 4 writes after the backup (hack/demo.sh inserts it with psql). */
const LATE_ROW_TITLE = 'written after the backup';

const BACKUP_WAIT_MS = 3 * 60_000;
const RESTORE_WAIT_MS = 3 * 60_000;
const DRILL_WAIT_MS = 4 * 60_000;

const stateFile = process.env.LIFEBOAT_DEMO_STATE ?? join(repoRoot, '.testenv/state.json');
const fixture = appFixture(NAMESPACE);

function env(): TestEnvInfo {
  const state = readState(stateFile);
  if (state?.status !== 'ready') throw new Error(`the demo's environment is not ready (${stateFile}): run \`node hack/demo.ts prepare DIR\` first`);
  return state.info;
}

const clock = () => new Date().toISOString().slice(11, 19);
const utc = (time: string | undefined) => (time ? time.replace('T', ' ').replace(/\.\d+Z$|Z$/, 'Z') : '?');

// ---- the environment -------------------------------------------------------------------------

async function prepare(dir: string, parentPid: number | undefined): Promise<void> {
  const existing = readState(stateFile);
  if (existing && isAlive(existing.pid)) throw new Error(`an environment is already running for ${stateFile} (pid ${existing.pid}): \`make testenv-down\` first`);
  const started = Date.now();
  const [state, { mode, line }] = await Promise.all([launchSupervisor({ stateFile, ...(parentPid ? { parentPid } : {}) }), kubeletMode()]);
  const { info } = state;
  mkdirSync(dir, { recursive: true });
  // Pods share this machine's network: the operator listens on a free port of 127.0.0.1. The
  // overlay sits in the checkout, so that it names deploy/overlays/cluster-wide as ../../deploy/overlays/cluster-wide.
  const operatorPort = await freePort();
  const overlay = writeOperatorOverlay(join(repoRoot, '.testenv/demo-operator'), { httpPort: operatorPort });
  const operator = { KUBELET_MODE: mode.kind, OPERATOR_OVERLAY: relative(repoRoot, overlay), OPERATOR_URL: `http://127.0.0.1:${operatorPort}` };
  writeFileSync(join(dir, 'env.sh'), shellEnv(info, state.pid, operator), { mode: 0o600 });
  for (const kind of MANIFESTS) writeFileSync(join(dir, `${kind}.yaml`), stringify(manifest(info, kind), { lineWidth: 0 }));
  console.log(`  ready in ${Math.round((Date.now() - started) / 1000)} s: etcd, kube-apiserver, controller-manager, scheduler and the test kubelet`);
  console.log(`  ${line}`);
  console.log(`  PostgreSQL  ${info.postgres.host}:${info.postgres.port} (user ${info.postgres.user}, trust auth)`);
  console.log(`  MinIO       ${info.s3.endpoint}`);
  console.log(`  work dir    ${info.workDir} (removed when the environment stops)`);
}

/** For `source` in the shell: where everything is, in the variables the tools read. */
function shellEnv(info: TestEnvInfo, supervisorPid: number, extra: Record<string, string>): string {
  const quote = (value: string | number) => `'${String(value).replace(/'/g, `'\\''`)}'`;
  const vars: Record<string, string | number> = {
    KUBECONFIG: info.kubeconfig,
    LIFEBOAT_BIN_DIR: info.binDir,
    LIFEBOAT_DEMO_SUPERVISOR: supervisorPid,
    PGHOST: info.postgres.host,
    PGPORT: info.postgres.port,
    PGUSER: info.postgres.user,
    AWS_ACCESS_KEY_ID: info.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: info.s3.secretAccessKey,
    AWS_REGION: info.s3.region,
    S3_ENDPOINT: info.s3.endpoint,
    BACKUP_BUCKET: fixture.backupBucket,
    ...extra,
  };
  return Object.entries(vars).map(([name, value]) => `export ${name}=${quote(value)}\n`).join('');
}

// ---- seeding and manifests -------------------------------------------------------------------

async function seed(client: KubeClient): Promise<void> {
  const info = env();
  const db = await seedDatabase(info, fixture.database);
  console.log(`  database "${fixture.database}": customers, diagrams, invoices (${db.rows} rows), PostgreSQL ${info.postgres.host}:${info.postgres.port}`);
  const objects = await seedBuckets(info, fixture);
  console.log(`  buckets ${Object.values(fixture.buckets).join(', ')}: ${objects} objects; empty backup bucket ${fixture.backupBucket} (MinIO ${info.s3.endpoint})`);
  await client.apply(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } }, { force: true });
  for (const secret of secretManifests(info, fixture)) await client.apply(SECRETS, secret as KubeObject, { force: true });
  console.log(`  namespace ${NAMESPACE} with the Secrets the resources below name: ${Object.values(SECRET_NAMES).join(', ')}`);
}

const apiVersion = 'lifeboat.dev/v1alpha1';

const MANIFESTS = ['schedule', 'backup-now', 'restore', 'drill', 'drill-now'] as const;

function manifest(info: TestEnvInfo, kind: (typeof MANIFESTS)[number]): object {
  const postgres = { host: info.postgres.host, port: info.postgres.port, sslMode: 'disable', connectionSecret: { name: SECRET_NAMES.database } };
  switch (kind) {
    case 'schedule': {
      // Nightly, so that nothing fires during the demo: step 4 needs data newer than the last backup.
      const schedule = scheduleManifest(info, fixture, { name: SCHEDULE, schedule: '0 2 * * *', retention: { keepLast: 7 } });
      return { ...schedule, spec: { ...schedule.spec, objectives: { rpo: '24h' } } };
    }
    case 'backup-now':
      return { apiVersion, kind: 'BackupRun', metadata: { name: BACKUP, namespace: NAMESPACE }, spec: { scheduleRef: { name: SCHEDULE } } };
    case 'restore':
      return {
        apiVersion,
        kind: 'RestoreRequest',
        metadata: { name: RESTORE, namespace: NAMESPACE },
        spec: {
          backup: { backupRunRef: { name: BACKUP } },
          targets: [{ source: 'app-db', postgres: { ...postgres, database: RESTORED_DATABASE } }],
        },
      };
    case 'drill':
      return {
        apiVersion,
        kind: 'DRDrill',
        metadata: { name: DRILL, namespace: NAMESPACE },
        spec: {
          scheduleRef: { name: SCHEDULE },
          scenario: 'CompleteFailure',
          objectives: { rto: '10m', rpo: '24h' },
          scratch: {
            postgres,
            s3: { endpoint: info.s3.endpoint, region: info.s3.region, forcePathStyle: true, credentialsSecret: { name: SECRET_NAMES.buckets } },
            cleanup: 'Always',
          },
          verify: {
            sql: [{ name: 'diagrams', query: 'SELECT count(*) FROM diagrams', expect: { atLeast: 100 } }],
            freshness: { query: 'SELECT max(updated_at) FROM diagrams' },
          },
        },
      };
    case 'drill-now':
      return { apiVersion, kind: 'DRDrillRun', metadata: { name: DRILL_NOW, namespace: NAMESPACE }, spec: { drillRef: { name: DRILL } } };
  }
}

// ---- waiting ---------------------------------------------------------------------------------

/** Polls `look` every second until it returns a value, printing each new progress line; bounded. */
async function until<T>(what: string, timeoutMs: number, look: () => Promise<{ done?: T; progress?: string }>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    let seen: { done?: T; progress?: string };
    try {
      seen = await look();
    } catch (error) {
      // A busy machine makes the API server slow to answer now and then: ask again.
      if (!(error instanceof KubeApiError && error.kind === 'temporary')) throw error;
      seen = { progress: `(the API server did not answer: ${error.message}; asking again)` };
    }
    const { done, progress } = seen;
    if (done !== undefined) return done;
    if (progress && progress !== last) console.log(`  ${clock()} ${progress}`);
    last = progress ?? last;
    if (Date.now() > deadline) throw new Error(`${what} did not finish within ${timeoutMs / 60_000} minutes; the operator's log is in .testenv/demo-operator.log`);
    await sleep(1_000);
  }
}

interface RunObject extends KubeObject {
  status?: {
    phase?: string;
    size?: string;
    duration?: string;
    snapshotTime?: string;
    progress?: { sourcesDone?: number; sourcesTotal?: number };
    artifacts?: { source: string; phase: string; message?: string; jobName?: string }[];
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

interface PodObject extends KubeObject {
  spec?: { containers?: { image?: string }[] };
  status?: { containerStatuses?: { containerID?: string }[] };
}

async function waitBackup(client: KubeClient, name: string): Promise<void> {
  const run = await until(`BackupRun ${NAMESPACE}/${name}`, BACKUP_WAIT_MS, async () => {
    const run = await client.find<RunObject>(BACKUP_RUNS, NAMESPACE, name);
    const phase = run?.status?.phase;
    if (phase === 'Succeeded') return { done: run };
    if (phase === 'Failed' || phase === 'PartiallyFailed') {
      const why = (run?.status?.artifacts ?? []).filter((a) => a.message).map((a) => `${a.source}: ${a.message}`).join('; ');
      throw new Error(`BackupRun ${name} ended ${phase}: ${why || conditionMessages(run?.status?.conditions)}`);
    }
    const progress = run?.status?.progress;
    return { progress: `${name} ${phase ?? 'New'}${progress ? ` (${progress.sourcesDone ?? 0}/${progress.sourcesTotal ?? 0} sources)` : ''}` };
  });
  console.log(`  ${clock()} ${name} Succeeded: ${run.status?.size ?? '?'} in ${run.status?.duration ?? '?'}, snapshot ${utc(run.status?.snapshotTime)}`);
  await artifacts(name);
  await howItRan(client, run);
}

/**
 * One line on what ran the database's backup, from what it left behind: the image and container
 * ID of its Job's pod (runc:// from the image, process:// as a host process) and the tools the
 * runner recorded in the source's manifest.
 */
async function howItRan(client: KubeClient, run: RunObject): Promise<void> {
  const source = 'app-db';
  const jobName = run.status?.artifacts?.find((artifact) => artifact.source === source)?.jobName;
  const pod = jobName ? (await client.list<PodObject>(PODS, { namespace: NAMESPACE, labelSelector: `job-name=${jobName}` })).items[0] : undefined;
  const image = pod?.spec?.containers?.[0]?.image ?? '?';
  const containerId = pod?.status?.containerStatuses?.[0]?.containerID ?? '';
  const how = containerId.startsWith('runc://') ? 'with runc' : containerId.startsWith('process://') ? 'as host processes (the kubelet is in process mode)' : `(container ${containerId || 'unknown'})`;
  const s3 = adminS3(env());
  try {
    const key = `backups/${NAMESPACE}/${SCHEDULE}/${run.metadata.name}/${source}/manifest.json`;
    const object = await s3.send(new GetObjectCommand({ Bucket: fixture.backupBucket, Key: key }));
    const tools = (JSON.parse((await object.Body?.transformToString()) ?? '{}') as { tools?: Record<string, string> }).tools ?? {};
    const version = (text: string | undefined) => /\d+(\.\d+)+/.exec(text ?? '')?.[0] ?? '?';
    console.log(`  runner Jobs run from ${image.slice(image.lastIndexOf('/') + 1)} ${how}; pg_dump ${version(tools.pg_dump)} against PostgreSQL ${version(tools.server)} (${source}'s manifest, pod ${pod?.metadata.name ?? '?'})`);
  } finally {
    s3.destroy();
  }
}

function conditionMessages(conditions: { type: string; status: string; message?: string }[] | undefined): string {
  return (conditions ?? []).filter((c) => c.message).map((c) => `${c.type}=${c.status}: ${c.message}`).join('; ') || 'no reason in status';
}

async function artifacts(name: string): Promise<void> {
  const prefix = `backups/${NAMESPACE}/${SCHEDULE}/${name}/`;
  const objects = await listObjects(env(), fixture.backupBucket, prefix);
  if (objects.length === 0) throw new Error(`nothing under s3://${fixture.backupBucket}/${prefix}`);
  console.log(`  What it wrote to the backup bucket (a manifest per run and per source, one artifact per source):`);
  console.log(`  s3://${fixture.backupBucket}/${prefix}`);
  for (const object of objects) console.log(`    ${String(object.size).padStart(9)}  ${object.key.slice(prefix.length)}`);
}

interface RestoreObject extends KubeObject {
  status?: {
    phase?: string;
    duration?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    targets?: { source: string; phase?: string; destination?: string; size?: string; message?: string }[];
  };
}

async function waitRestore(client: KubeClient, name: string): Promise<void> {
  const restore = await until(`RestoreRequest ${NAMESPACE}/${name}`, RESTORE_WAIT_MS, async () => {
    const restore = await client.find<RestoreObject>(RESTORE_REQUESTS, NAMESPACE, name);
    const phase = restore?.status?.phase;
    if (phase === 'Succeeded') return { done: restore };
    if (phase === 'Failed' || phase === 'PartiallyFailed') {
      const why = (restore?.status?.targets ?? []).filter((t) => t.message).map((t) => `${t.source}: ${t.message}`).join('; ');
      throw new Error(`RestoreRequest ${name} ended ${phase}: ${why || conditionMessages(restore?.status?.conditions)}`);
    }
    const targets = (restore?.status?.targets ?? []).map((t) => `${t.source} ${t.phase ?? 'Pending'}`).join(', ');
    return { progress: `${name} ${phase ?? 'New'}${targets ? ` (${targets})` : ''}` };
  });
  for (const target of restore.status?.targets ?? []) console.log(`  ${clock()} ${target.source} -> ${target.destination ?? '?'}: ${target.phase} (${target.size ?? '?'})`);
  console.log(`  ${clock()} ${name} Succeeded in ${restore.status?.duration ?? '?'}`);
}

interface DrillObject extends KubeObject {
  status?: { active?: string; latest?: { name: string; result?: string }; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

interface DrillRunObject extends KubeObject {
  status?: {
    result?: string;
    reason?: string;
    message?: string;
    startTime?: string;
    completionTime?: string;
    backup?: { run?: string; manifestKey?: string; snapshotTime?: string };
    steps?: { name: string; phase?: string; duration?: string; message?: string }[];
    checks?: { name: string; type: string; source?: string; result: string; expected?: string; actual?: string; message?: string }[];
    checksSummary?: { passed: number; failed: number };
    rto?: { objective?: string; measured?: string; measuredSeconds?: number; met?: boolean; restoreSeconds?: number };
    rpo?: { objective?: string; measured?: string; measuredSeconds?: number; met?: boolean; basis?: string; newestDataTime?: string };
    objectives?: string;
    scratch?: { databases?: string[]; buckets?: string[]; leftBehind?: string[] };
    report?: { markdownKey?: string; markdownSha256?: string };
  };
}

/** The first run of a drill without a schedule: the drill creates it when applied. */
async function waitDrill(client: KubeClient, drill: string): Promise<void> {
  const run = await until(`the first run of DRDrill ${NAMESPACE}/${drill}`, 60_000, async () => {
    const object = await client.find<DrillObject>(DR_DRILLS, NAMESPACE, drill);
    // Ready is False while the first run is in progress; Stalled says the drill cannot work (docs/adr/0013).
    const stalled = object?.status?.conditions?.find((c) => c.type === 'Stalled' && c.status === 'True');
    if (stalled) throw new Error(`DRDrill ${drill} has stalled: ${stalled.reason}: ${stalled.message}`);
    const name = object?.status?.active ?? object?.status?.latest?.name;
    return name ? { done: name } : { progress: `${drill}: waiting for the operator to start its run` };
  });
  console.log(`  ${clock()} ${drill} created the DRDrillRun ${run}`);
  await waitDrillRun(client, run);
}

async function waitDrillRun(client: KubeClient, name: string): Promise<void> {
  const seen = new Map<string, string>();
  const run = await until(`DRDrillRun ${NAMESPACE}/${name}`, DRILL_WAIT_MS, async () => {
    const run = await client.find<DrillRunObject>(DR_DRILL_RUNS, NAMESPACE, name);
    for (const step of run?.status?.steps ?? []) {
      const phase = step.phase ?? 'Pending';
      if (phase === 'Pending' || seen.get(step.name) === phase) continue;
      seen.set(step.name, phase);
      const detail = phase === 'Running' ? '' : ` ${step.duration ?? ''}${step.message ? `: ${step.message}` : ''}`;
      console.log(`  ${clock()} ${name} ${step.name.padEnd(15)} ${phase}${detail}`);
    }
    const result = run?.status?.result;
    if (result === 'Passed') return { done: run };
    if (result === 'Failed') {
      const failed = (run?.status?.checks ?? []).filter((c) => c.result === 'Failed').map((c) => `${c.name}: expected ${c.expected ?? '?'}, found ${c.actual ?? '?'}${c.message ? ` (${c.message})` : ''}`);
      throw new Error(`DRDrillRun ${name} Failed, ${run?.status?.reason ?? '?'}: ${run?.status?.message ?? ''}${failed.length ? `\n  failed checks: ${failed.join('\n    ')}` : ''}`);
    }
    return {};
  });
  const status = run.status!;
  const leftBehind = status.scratch?.leftBehind ?? [];
  if (leftBehind.length > 0) throw new Error(`DRDrillRun ${name} passed but left scratch resources behind: ${leftBehind.join(', ')}`);
  if (!status.report?.markdownKey) throw new Error(`DRDrillRun ${name} passed but its status names no report`);
  console.log(
    `  ${clock()} ${name} Passed: backup ${status.backup?.run ?? '?'}, RTO ${status.rto?.measured ?? '?'} (objective ${status.rto?.objective ?? '?'}), RPO ${status.rpo?.measured ?? '?'} (objective ${status.rpo?.objective ?? '?'}), ${status.checksSummary?.passed ?? '?'} checks passed`,
  );
  console.log(`  ${clock()} scratch ${[...(status.scratch?.databases ?? []), ...(status.scratch?.buckets ?? [])].join(', ')}: removed`);
}

// ---- the two drills side by side -------------------------------------------------------------

async function compare(client: KubeClient, first: string, second: string): Promise<void> {
  const runs = await Promise.all([first, second].map(async (name) => {
    const run = await client.find<DrillRunObject>(DR_DRILL_RUNS, NAMESPACE, name);
    if (run?.status?.result !== 'Passed') throw new Error(`DRDrillRun ${name} has not passed (result ${run?.status?.result ?? 'none'})`);
    return run;
  }));
  const live = await withDatabase(env(), fixture.database, async (db) => {
    const counted = await db.query<{ count: string; newest: Date }>('SELECT count(*)::text AS count, max(updated_at) AS newest FROM diagrams');
    const late = await db.query<{ id: number; updated_at: Date }>('SELECT id, updated_at FROM diagrams WHERE title = $1', [LATE_ROW_TITLE]);
    return { count: Number(counted.rows[0]!.count), newest: counted.rows[0]!.newest, late: late.rows[0] };
  });
  if (!live.late) throw new Error(`no row "${LATE_ROW_TITLE}" in the live database`);
  // The SQL check's actual value is quoted text: "120".
  const restoredCount = (run: DrillRunObject) => Number(run.status?.checks?.find((c) => c.type === 'Sql' && c.name === 'diagrams')?.actual?.replace(/^"|"$/g, '') ?? NaN);
  const freshness = (run: DrillRunObject) => run.status?.checks?.find((c) => c.type === 'Freshness')?.actual;

  const rows: [string, (run: DrillRunObject) => string][] = [
    ['DRDrillRun', (run) => run.metadata.name ?? ''],
    ['backup restored', (run) => run.status?.backup?.run ?? '?'],
    ['backup snapshot', (run) => utc(run.status?.backup?.snapshotTime)],
    ['incident (run start)', (run) => utc(run.status?.startTime)],
    ['newest data restored', (run) => utc(run.status?.rpo?.newestDataTime)],
    ['RPO (basis)', (run) => `${run.status?.rpo?.measured ?? '?'} (${run.status?.rpo?.basis ?? '?'})`],
    ['RTO', (run) => run.status?.rto?.measured ?? '?'],
    ['objectives', (run) => `${run.status?.objectives ?? '?'} (RTO ${run.status?.rto?.objective ?? '?'}, RPO ${run.status?.rpo?.objective ?? '?'})`],
    ['diagrams restored', (run) => String(restoredCount(run))],
  ];
  const width = Math.max(...runs.map((run) => Math.max(...rows.map(([, cell]) => cell(run).length)))) + 3;
  console.log(`  ${''.padEnd(22)}${'first drill'.padEnd(width)}second drill ("drill now")`);
  for (const [label, cell] of rows) console.log(`  ${label.padEnd(22)}${cell(runs[0]!).padEnd(width)}${cell(runs[1]!)}`);
  console.log(`  ${'live database now'.padEnd(22)}${live.count} diagrams, the newest (id ${live.late.id}, "${LATE_ROW_TITLE}") updated ${utc(live.late.updated_at.toISOString())}`);

  // What the story claims, checked: it fails the demo when it does not hold.
  const [a, b] = runs.map((run) => run.status!);
  const problems: string[] = [];
  if (b!.backup?.run !== a!.backup?.run) problems.push(`the second drill restored ${b!.backup?.run}, not ${a!.backup?.run}: a new backup was taken`);
  if (!(restoredCount(runs[1]!) === live.count - 1)) problems.push(`the second drill restored ${restoredCount(runs[1]!)} diagrams, the live database has ${live.count}: expected exactly one missing`);
  if (b!.rpo?.basis !== 'Freshness' || b!.rpo?.newestDataTime === undefined) problems.push(`the second drill's RPO is not from the freshness query (${b!.rpo?.basis ?? 'no basis'})`);
  else if (new Date(b!.rpo.newestDataTime).getTime() >= live.late.updated_at.getTime() - 999) problems.push(`the restored copy's newest data (${b!.rpo.newestDataTime}) is not older than the row written after the backup (${live.late.updated_at.toISOString()})`);
  if (freshness(runs[1]!) === undefined) problems.push('the second drill has no freshness check');
  if (!((b!.rpo?.measuredSeconds ?? 0) > (a!.rpo?.measuredSeconds ?? Infinity))) problems.push(`the RPO did not grow: ${a!.rpo?.measured} then ${b!.rpo?.measured}`);
  if (problems.length > 0) throw new Error(`the second drill does not show the lost row:\n  ${problems.join('\n  ')}`);
  const grew = Math.round((b!.rpo!.measuredSeconds! - a!.rpo!.measuredSeconds!));
  console.log(`  checked: same backup, one diagram fewer than the live database, newest restored data older than the new row, RPO ${grew} s larger`);
}

// ---- main ------------------------------------------------------------------------------------

async function withClient(use: (client: KubeClient) => Promise<void>): Promise<void> {
  const client = KubeClient.load(env().kubeconfig, { fieldManager: 'lifeboat-demo' });
  try {
    await use(client);
  } finally {
    await client.close();
  }
}

async function main(): Promise<void> {
  const [command, arg, arg2] = process.argv.slice(2);
  const need = (value: string | undefined, what: string): string => {
    if (!value) throw new Error(`${command}: name the ${what}`);
    return value;
  };
  switch (command) {
    case 'prepare':
      return prepare(need(arg, 'directory'), arg2 ? Number(arg2) : undefined);
    case 'seed':
      return withClient(seed);
    case 'wait-backup':
      return withClient((client) => waitBackup(client, need(arg, 'BackupRun')));
    case 'wait-restore':
      return withClient((client) => waitRestore(client, need(arg, 'RestoreRequest')));
    case 'wait-drill':
      return withClient((client) => waitDrill(client, need(arg, 'DRDrill')));
    case 'wait-drill-run':
      return withClient((client) => waitDrillRun(client, need(arg, 'DRDrillRun')));
    case 'compare':
      return withClient((client) => compare(client, need(arg, 'first DRDrillRun'), need(arg2, 'second DRDrillRun')));
    default:
      throw new Error('usage: node hack/demo.ts prepare|seed|wait-backup|wait-restore|wait-drill|wait-drill-run|compare');
  }
}

main().catch((error: unknown) => {
  console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
