// The operator at scale: --schedules BackupSchedules (default 500) across --namespaces namespaces
// (50), each firing every minute, measured for --minutes cron minutes (10). What is measured is
// the operator, not the runner: the Jobs' pods run on a process kubelet in fast mode
// (--complete-runner-pods), which ends each runner pod at once with the result a successful
// runner reports, so every run goes backup -> finalize -> verify -> Succeeded as fast as the
// operator and Kubernetes move it. Everything else is what a user gets: the default retention
// (keepLast 7, so runs are pruned and their artifacts' folders deleted in storage from the
// eighth minute on), concurrencyPolicy Forbid, two workers, the shipped RBAC; the storage is the
// test MinIO, one real bucket; the source a real, empty bucket.
//
//   node bench/operator-scale.ts [--schedules 500] [--namespaces 50] [--minutes 10] [--workers 2]
//                                [--operator-main dist/operator/main.js] [--kube-api-qps 200] [--drain 60]
//                                [--floor-width 32]
//
// Figures, for the cron minutes of the window (the first whole minute after the schedules exist
// and the operator has synced, and the ones after it):
//   missed     (schedule, cron minute) pairs with no BackupRun;  duplicates  runs beyond one per pair
//   cron instant -> the run's first Job created, p50 and p99: the Job's watch event arriving in
//              this process (ms; the API's creationTimestamp has whole seconds), which is the
//              operator's latency plus the watch's delivery (a few ms here);
//   the API floor, measured first in the same run: N BackupRun + Job creates started at once
//              (--floor-width in flight), each pair's time from the burst's start; what this
//              control plane allows at a cron instant whatever the operator does;
//   also cron -> BackupRun seen, and cron -> Succeeded seen (the whole chain with Kubernetes'
//              Job controller, scheduler and the fast kubelet);
//   the operator's CPU seconds per minute and its peak RSS (/proc of its process);
//   the operator's API requests (the API server's audit log, its ServiceAccount's requests)
//              per reconcile (its /metrics: lifeboat_reconcile_total, every kind).
// The operator runs as its own process (dist/operator/main.js: `make build` first) as the
// install's ServiceAccount. Uses the test environment LIFEBOAT_TESTENV names (the operator then
// watches only the benchmark's namespaces), else starts one (and the operator watches all).
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { BACKUP_SCHEDULES } from '../src/controllers/resource-types.ts';
import { NAMESPACES, SECRETS, type ResourceType } from '../src/kube/resource-type.ts';
import type { KubeObject } from '../src/kube/types.ts';
import { auditLogPath, OPERATOR_USER } from '../test/env/control-plane.ts';
import { COMPLETE_RUNNER_PODS_TAINT } from '../test/env/kubelet/node-object.ts';
import { repoRoot } from '../test/env/paths.ts';
import { freePort } from '../test/env/ports.ts';
import { SECRET_NAMES, secretManifests, appFixture } from '../test/support/backup-fixture.ts';
import { writeOperatorKubeconfig } from '../test/support/operator-identity.ts';
import { ensureCrds, operatorEnv, testClient } from '../test/integration/operator/support.ts';
import { benchEnvironment } from './operator-restore-support.ts';
import { apiFloorSeconds, countAudited, fileSize, percentile, processUsage, reconcileCounts, reconcileSeconds, RssSampler, ScaleRecorder, spawnFastKubelet, type RunMarks } from './operator-scale-support.ts';
import { loadNow, recordResults } from './results.ts';

const { values } = parseArgs({
  options: {
    schedules: { type: 'string', default: '500' },
    namespaces: { type: 'string', default: '50' },
    minutes: { type: 'string', default: '10' },
    workers: { type: 'string' },
    /** The operator to measure (default: this checkout's dist/operator/main.js), e.g. an older build for a before/after. */
    'operator-main': { type: 'string', default: join(repoRoot, 'dist/operator/main.js') },
    /**
     * The request rate of kube-controller-manager and kube-scheduler in an environment this run
     * starts (their defaults, 20 and 50 per second, cannot create pods for 1,500 Jobs a minute);
     * 0 keeps the defaults.
     */
    'kube-api-qps': { type: 'string', default: '200' },
    /** Seconds after the last cron minute for its runs to finish. */
    drain: { type: 'string', default: '60' },
    /** Requests in flight for the API floor (the least a client must write at one cron instant). */
    'floor-width': { type: 'string', default: '32' },
  },
});
const scheduleCount = Number(values.schedules);
const namespaceCount = Math.min(Number(values.namespaces), scheduleCount);
const minutes = Number(values.minutes);
const drainMs = Number(values.drain) * 1000;
const say = (line: string): void => console.log(`${new Date().toISOString().slice(11, 23)}  ${line}`);
const load = (): string => loadavg().map((l) => l.toFixed(1)).join(' ');
const MINUTE = 60_000;
const NODES: ResourceType = { group: '', version: 'v1', kind: 'Node', plural: 'nodes', namespaced: false };

const loadAtStart = loadNow();
say(`${cpus()[0]?.model ?? 'unknown CPU'} x ${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}  load average ${load()}`);
say(`${scheduleCount} BackupSchedules in ${namespaceCount} namespaces, every minute, ${minutes} cron minutes measured; operator ${values['operator-main']}`);
const shared = Boolean(process.env.LIFEBOAT_TESTENV);
if (!shared && Number(values['kube-api-qps']) > 0) process.env.LIFEBOAT_TESTENV_KUBE_API_QPS = values['kube-api-qps'];
if (shared) say('a shared environment: kube-controller-manager and kube-scheduler run with the rate it was started with');
else say(`kube-controller-manager and kube-scheduler: ${Number(values['kube-api-qps']) > 0 ? `--kube-api-qps=${values['kube-api-qps']}` : 'default request rates'}`);
const environment = await benchEnvironment(say);
const { info } = environment;
const client = testClient();
const id = randomBytes(2).toString('hex');
const prefix = `scale-${id}-`;
const namespaces = Array.from({ length: namespaceCount }, (_, index) => `${prefix}${index}`);
const nodeName = `lifeboat-scale-${id}`;
const backupBucket = `lifeboat-scale-${id}`;
const sourceBucket = `scale-source-${id}`;
let kubelet: ReturnType<typeof spawnFastKubelet> | undefined;
let operator: ChildProcess | undefined;
let recorder: ScaleRecorder | undefined;
let rss: RssSampler | undefined;
try {
  await ensureCrds();
  const s3 = new S3Client({
    endpoint: info.s3.endpoint,
    region: info.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: info.s3.accessKeyId, secretAccessKey: info.s3.secretAccessKey },
  });
  for (const bucket of [backupBucket, sourceBucket]) await s3.send(new CreateBucketCommand({ Bucket: bucket }));

  kubelet = spawnFastKubelet(info.kubeconfig, nodeName, join(info.workDir, nodeName));
  const settingUp = Date.now();
  await inParallel(namespaces, 10, async (namespace) => {
    await client.create(NAMESPACES, { metadata: { name: namespace, labels: { 'lifeboat.dev/test': 'scale' } } });
    for (const secret of secretManifests(info, appFixture(namespace))) await client.apply(SECRETS, secret as KubeObject, { force: true });
  });
  const schedules = Array.from({ length: scheduleCount }, (_, index) => ({ namespace: namespaces[index % namespaceCount]!, name: `app-${Math.floor(index / namespaceCount)}` }));
  await inParallel(schedules, 10, (schedule) => client.create(BACKUP_SCHEDULES, scheduleObject(schedule.namespace, schedule.name) as KubeObject));
  say(`namespaces, Secrets and schedules created in ${((Date.now() - settingUp) / 1000).toFixed(1)} s; load average ${load()}`);

  // The baseline of the same run: what this control plane allows at one cron instant, before
  // the operator starts (its namespace is gone again before the window).
  const floorNamespace = `floor-${id}`;
  await client.create(NAMESPACES, { metadata: { name: floorNamespace, labels: { 'lifeboat.dev/test': 'scale' } } });
  const floor = await apiFloorSeconds(client, floorNamespace, scheduleCount, Number(values['floor-width']));
  say(`API floor: ${scheduleCount} BackupRun + Job creates at one instant, ${values['floor-width']} in flight: p50 ${sec(percentile(floor, 50))} p99 ${sec(percentile(floor, 99))}`);
  await client.delete(NAMESPACES, undefined, floorNamespace);
  await waitUntil(async () => (await client.find(NAMESPACES, undefined, floorNamespace)) === undefined, 180_000, 'the floor namespace to go').catch((error: unknown) => say(String(error)));

  recorder = new ScaleRecorder(client, prefix);
  await recorder.start();
  const metricsPort = await freePort();
  const auditLog = auditLogPath(info.workDir);
  const auditOffset = fileSize(auditLog);
  // As the install runs it (its ServiceAccount and RBAC), its logs at warn to this stderr.
  operator = spawn(process.execPath, [values['operator-main']], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      PATH: process.env.PATH,
      KUBECONFIG: await writeOperatorKubeconfig(),
      ...operatorEnv(namespaces[0]!, `scale-${id}`),
      LIFEBOAT_WATCH_NAMESPACES: shared ? namespaces.join(',') : '*',
      LIFEBOAT_HTTP_PORT: String(metricsPort),
      ...(values.workers ? { LIFEBOAT_WORKERS: values.workers } : {}),
    },
  });
  const operatorPid = operator.pid!;
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const operatorStarted = Date.now();
  // Each schedule's first pass also looks for its runs in the bucket (catalog sync); on a busy
  // machine that takes minutes for 500, and the window starts regardless after ten.
  await waitUntil(async () => ((await reconcileCounts(metricsUrl).catch(() => new Map<string, number>())).get('BackupSchedule') ?? 0) >= scheduleCount, 600_000, 'the operator to reconcile every schedule').catch((error: unknown) => say(`${String(error)}; measuring anyway`));
  say(`operator (pid ${operatorPid}, watching ${shared ? `${namespaceCount} namespaces` : 'all namespaces'}) up and through every schedule in ${((Date.now() - operatorStarted) / 1000).toFixed(1)} s; RSS ${(processUsage(operatorPid).rssBytes / 2 ** 20).toFixed(0)} MiB`);

  // The window: from the next whole minute that leaves a few seconds to take the first readings.
  const windowStart = Math.ceil((Date.now() + 5_000) / MINUTE) * MINUTE;
  const windowEnd = windowStart + minutes * MINUTE;
  await sleepUntil(windowStart - 1_000);
  rss = new RssSampler(operatorPid);
  const usageBefore = processUsage(operatorPid);
  const reconcilesBefore = await reconcileCounts(metricsUrl);
  const durationsBefore = await reconcileSeconds(metricsUrl);
  const measuredFrom = Date.now();
  say(`window: cron minutes ${new Date(windowStart).toISOString()} to ${new Date(windowEnd - MINUTE).toISOString()}; load average ${load()}`);
  for (let minute = 0; minute < minutes; minute++) {
    await sleepUntil(windowStart + (minute + 1) * MINUTE - 500);
    const cron = windowStart + minute * MINUTE;
    const runs = [...recorder.runs.values()].filter((run) => run.scheduledAt === cron);
    const jobs = runs.filter((run) => run.firstJobAt !== undefined).map((run) => (run.firstJobAt! - cron) / 1000);
    const usage = processUsage(operatorPid);
    say(
      `${new Date(cron).toISOString().slice(11, 16)}: ${runs.length} runs, ${runs.filter((run) => run.phase === 'Succeeded').length} succeeded so far; cron -> Job p50 ${sec(percentile(jobs, 50))} p99 ${sec(percentile(jobs, 99))} max ${sec(percentile(jobs, 100))}; operator CPU ${(usage.cpuSeconds - usageBefore.cpuSeconds).toFixed(1)} s so far, RSS ${(usage.rssBytes / 2 ** 20).toFixed(0)} MiB; load ${load()}`,
    );
  }
  // The last minute's runs finish; requests and reconciles are counted over the same span.
  await waitUntil(async () => windowRuns(recorder!, windowStart, windowEnd).every((run) => run.finishedAt !== undefined), drainMs, 'the last runs to finish').catch(() => undefined);
  const measuredTo = Date.now();
  const usageAfter = processUsage(operatorPid);
  const reconcilesAfter = await reconcileCounts(metricsUrl);
  const durationsAfter = await reconcileSeconds(metricsUrl);
  rss.stop();
  await new Promise((resolve) => setTimeout(resolve, 2_000)); // the audit log's last lines
  const audited = countAudited(auditLog, auditOffset, OPERATOR_USER, measuredFrom, measuredTo);

  // Missed and duplicate runs: per schedule, per cron minute of the window.
  const runs = windowRuns(recorder, windowStart, windowEnd);
  const perPair = new Map<string, number>();
  for (const run of runs) perPair.set(`${run.namespace}/${run.schedule}@${run.scheduledAt}`, (perPair.get(`${run.namespace}/${run.schedule}@${run.scheduledAt}`) ?? 0) + 1);
  let missed = 0;
  let duplicates = 0;
  const missedByMinute = new Map<number, number>();
  for (const schedule of schedules) {
    for (let minute = 0; minute < minutes; minute++) {
      const count = perPair.get(`${schedule.namespace}/${schedule.name}@${windowStart + minute * MINUTE}`) ?? 0;
      if (count === 0) {
        missed++;
        missedByMinute.set(minute, (missedByMinute.get(minute) ?? 0) + 1);
      }
      duplicates += Math.max(0, count - 1);
    }
  }
  const manual = [...recorder.runs.values()].filter((run) => run.scheduledAt === undefined).length;
  const toJob = runs.filter((run) => run.firstJobAt !== undefined).map((run) => (run.firstJobAt! - run.scheduledAt!) / 1000);
  const toRun = runs.map((run) => (run.seenAt - run.scheduledAt!) / 1000);
  const toDone = runs.filter((run) => run.phase === 'Succeeded').map((run) => (run.finishedAt! - run.scheduledAt!) / 1000);
  const phases = new Map<string, number>();
  for (const run of runs) phases.set(run.phase ?? 'unfinished', (phases.get(run.phase ?? 'unfinished') ?? 0) + 1);

  const reconciles = new Map([...reconcilesAfter].map(([kind, count]) => [kind, count - (reconcilesBefore.get(kind) ?? 0)]));
  const reconcileTotal = [...reconciles.values()].reduce((a, b) => a + b, 0);
  const cpuSeconds = usageAfter.cpuSeconds - usageBefore.cpuSeconds;
  const measuredMinutes = (measuredTo - measuredFrom) / MINUTE;
  const requestsPerReconcile = audited.total / Math.max(1, reconcileTotal);

  console.log('');
  say(`expected ${scheduleCount * minutes} runs (${scheduleCount} schedules x ${minutes} minutes); seen ${runs.length}; ${[...phases].map(([phase, count]) => `${phase} ${count}`).join(', ')}; manual runs ${manual}`);
  say(`missed ${missed}${missed > 0 ? ` (by minute of the window: ${[...missedByMinute].map(([m, c]) => `${m}: ${c}`).join(', ')})` : ''}, duplicates ${duplicates}`);
  say(`cron -> BackupRun seen:      p50 ${sec(percentile(toRun, 50))}  p99 ${sec(percentile(toRun, 99))}  max ${sec(percentile(toRun, 100))}`);
  say(`cron -> first Job seen:      p50 ${sec(percentile(toJob, 50))}  p99 ${sec(percentile(toJob, 99))}  max ${sec(percentile(toJob, 100))}  (${toJob.length} runs with a Job)`);
  say(`the API floor for the same:  p50 ${sec(percentile(floor, 50))}  p99 ${sec(percentile(floor, 99))}  (the operator's p99 is ${(percentile(toJob, 99) / percentile(floor, 99)).toFixed(2)}x it)`);
  say(`cron -> Succeeded seen:      p50 ${sec(percentile(toDone, 50))}  p99 ${sec(percentile(toDone, 99))}  max ${sec(percentile(toDone, 100))}`);
  say(`operator: CPU ${cpuSeconds.toFixed(1)} s over ${measuredMinutes.toFixed(1)} min = ${(cpuSeconds / measuredMinutes).toFixed(1)} CPU s per minute; RSS peak ${(rss.peakBytes / 2 ** 20).toFixed(0)} MiB (VmHWM since start ${(usageAfter.peakRssBytes / 2 ** 20).toFixed(0)} MiB)`);
  say(`reconciles: ${reconcileTotal} (${[...reconciles].filter(([, c]) => c > 0).map(([kind, c]) => `${kind} ${c}`).join(', ')})`);
  say(`API requests of the operator: ${audited.total} = ${requestsPerReconcile.toFixed(2)} per reconcile; most: ${[...audited.byRequest].sort((a, b) => b[1] - a[1]).slice(0, 14).map(([what, c]) => `${what} ${c}`).join(', ')}`);
  const durations = [...durationsAfter].map(([kind, after]) => {
    const before = durationsBefore.get(kind) ?? { sum: 0, count: 0 };
    const count = after.count - before.count;
    return `${kind} ${count > 0 ? (((after.sum - before.sum) / count) * 1000).toFixed(0) : '?'} ms`;
  });
  say(`mean reconcile: ${durations.join(', ')}; the API server's time per request of the operator: p50 ${percentile(audited.serverMs, 50)} ms, p99 ${percentile(audited.serverMs, 99)} ms`);
  say(`responses: ${[...audited.byCode].sort((a, b) => a[0] - b[0]).map(([code, c]) => `${code} ${c}`).join(', ')}`);
  say(`load average at the end ${load()}`);

  const p99 = percentile(toJob, 99);
  const path = recordResults(
    'operator-scale',
    loadAtStart,
    [
      { name: `cron -> Job created p99, ${scheduleCount} schedules every minute`, value: Number.isNaN(p99) ? 999 : p99, target: 2, better: 'lower', unit: 's' },
      { name: 'missed scheduled runs', value: missed, target: 0, better: 'lower', unit: 'count' },
      { name: 'duplicate scheduled runs', value: duplicates, target: 0, better: 'lower', unit: 'count' },
    ],
    [
      { name: 'cron -> Job created p50', value: percentile(toJob, 50), unit: 's' },
      { name: `API floor p99: ${scheduleCount} BackupRun + Job creates at one instant`, value: percentile(floor, 99), unit: 's' },
      { name: 'cron -> Job p99 / API floor p99', value: percentile(toJob, 99) / percentile(floor, 99), unit: 'x' },
      { name: 'operator RSS peak', value: rss.peakBytes / 2 ** 20, unit: 'MiB' },
      { name: 'operator CPU per minute', value: cpuSeconds / measuredMinutes, unit: 's' },
      { name: 'API requests per reconcile', value: requestsPerReconcile, unit: 'requests' },
      { name: 'reconciles', value: reconcileTotal, unit: 'count' },
      { name: 'runs Succeeded in the window', value: phases.get('Succeeded') ?? 0, unit: 'count' },
    ],
  );
  say(`results: ${path}`);
} finally {
  rss?.stop();
  await recorder?.stop().catch(() => undefined);
  if (shared) {
    // The operator releases the runs' finalizers while the namespaces go; then it and the kubelet stop.
    await Promise.all(namespaces.map((namespace) => client.delete(NAMESPACES, undefined, namespace).catch(() => undefined)));
    await waitUntil(async () => (await client.list(NAMESPACES, { labelSelector: 'lifeboat.dev/test=scale' })).items.every((ns) => !ns.metadata.name?.startsWith(prefix)), 300_000, 'the namespaces to go').catch((error: unknown) => say(String(error)));
  }
  if (operator && operator.exitCode === null) {
    operator.kill('SIGTERM');
    await once(operator, 'exit');
  }
  if (kubelet && kubelet.exitCode === null) {
    kubelet.kill('SIGTERM');
    await once(kubelet, 'exit');
  }
  await client.delete(NODES, undefined, nodeName).catch(() => undefined);
  await client.close();
  await environment.stop();
}

function scheduleObject(namespace: string, name: string): object {
  const s3 = { endpoint: info.s3.endpoint, region: info.s3.region, forcePathStyle: true };
  return {
    apiVersion: 'lifeboat.dev/v1alpha1',
    kind: 'BackupSchedule',
    metadata: { name, namespace },
    spec: {
      schedule: '* * * * *',
      storage: { bucket: backupBucket, prefix: 'scale', ...s3, credentialsSecret: { name: SECRET_NAMES.storage } },
      sources: [{ name: 'assets', bucket: { bucket: sourceBucket, ...s3, credentialsSecret: { name: SECRET_NAMES.buckets } } }],
      // The fast kubelet's node, and only it.
      jobTemplate: {
        nodeSelector: { 'kubernetes.io/hostname': nodeName },
        tolerations: [{ key: COMPLETE_RUNNER_PODS_TAINT.key, operator: 'Exists', effect: COMPLETE_RUNNER_PODS_TAINT.effect }],
      },
    },
  };
}

function windowRuns(recorder: ScaleRecorder, from: number, to: number): RunMarks[] {
  return [...recorder.runs.values()].filter((run) => run.scheduledAt !== undefined && run.scheduledAt >= from && run.scheduledAt < to);
}

function sec(seconds: number): string {
  return Number.isNaN(seconds) ? '?' : `${seconds.toFixed(3)} s`;
}

async function inParallel<T>(items: readonly T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

async function sleepUntil(at: number): Promise<void> {
  const ms = at - Date.now();
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
