// Restore and drill through the operator, end to end, as ratios against baselines measured in
// the same run on the same 1 GiB database (bench/runner-postgres.ts's generated dataset):
//
//   restore  a RestoreRequest of the database into a new one, apply -> Succeeded, vs pg_restore
//            of the same dump from a local file (downloaded, decompressed, untimed) with the
//            runner's options (--no-owner, one job, one transaction) (issue 9: <= 1.15x).
//   drill    a DRDrillRun (DatabaseLoss, default verification: row counts and schema objects,
//            no SQL checks), apply -> Passed, vs the RestoreRequest above (issue 10: <= 1.25x).
//
// Everything with the defaults a user gets: the schedule, the BackupRun, the RestoreRequest and
// the drill set no jobTemplate, compression or verification options. The operator runs in this
// process against the test environment (control plane, process kubelet, PostgreSQL, MinIO);
// the runner runs in the Jobs' pods as the compiled dist/runner/main.js (`make build`).
// Where the time goes comes from watches in this process (to the millisecond), the process
// kubelet's log and the runners' own logs: the operator's share, the Job controller, the
// scheduler, the kubelet, the runner's start-up and its task.
//
//   node bench/operator-restore.ts [--size-mb 1024] [--reps 1] [--compression Zstd]
//
// --compression sets the source's compression (default: none set, so the API's default, Zstd).
// The two ratios, the verification time and the operator's own latency are also recorded for
// `make bench`'s table (bench/results.ts, bench/report.ts).
// Repetitions alternate the order (baseline, restore, drill; then drill, restore, baseline) and
// the best time of each counts; before each measurement PostgreSQL checkpoints and the kernel
// writes back, untimed, so that one measurement's writes do not land in the next one's time.
// Uses the test environment LIFEBOAT_TESTENV names (the dataset is then kept for the next
// run), else starts one for the run and stops it at the end.
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BACKUP_SCHEDULES, DR_DRILL_RUNS, DR_DRILLS, RESTORE_REQUESTS } from '../src/controllers/resource-types.ts';
import { drillJobName } from '../src/core/jobs/drill-jobs.ts';
import { restoreJobName } from '../src/core/jobs/restore-job.ts';
import { NAMESPACES, SECRETS } from '../src/kube/resource-type.ts';
import type { KubeObject } from '../src/kube/types.ts';
import { pgRestoreArgs } from '../src/postgres/restore.ts';
import { downloadArtifactToFile } from '../src/runner/artifact-reader.ts';
import { readArtifactManifest } from '../src/runner/manifest.ts';
import { appFixture, SECRET_NAMES, secretManifests } from '../test/support/backup-fixture.ts';
import type { DrillRunObject } from '../test/integration/operator/drill-support.ts';
import { createManualRun, createNamespace, ensureCrds, startTestOperator, testClient, waitForFinalRun } from '../test/integration/operator/support.ts';
import { benchEnvironment, jobBreakdown, Recorder, sumBreakdowns, type JobBreakdown } from './operator-restore-support.ts';
import { loadNow, recordResults } from './results.ts';
import { MiB, databaseSize, dropDatabase, ensureDataset, freshDatabase, libpq, servers, sql, timed, type Servers } from './runner-postgres-support.ts';

const { values } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '1024' },
    reps: { type: 'string', default: '1' },
    compression: { type: 'string' },
  },
});
const sizeMb = Number(values['size-mb']);
const reps = Number(values.reps);
// Like with like: the baseline is the host's pg_restore into the host's server, so the runner
// runs as a process with the same tools. In the runner image (PostgreSQL 17's tools) it would
// restore into this 15 server through the script path of ADR 0012, and the host's 15
// pg_restore cannot read the 17 dump the image's pg_dump writes, so there were no baseline.
process.env.LIFEBOAT_KUBELET_MODE ??= 'process';
const compression = values.compression;
const say = (line: string): void => console.log(line);
const load = (): string => loadavg().map((l) => l.toFixed(1)).join(' ');
const f = (seconds: number, width = 7): string => (Number.isNaN(seconds) ? '?' : seconds.toFixed(1)).padStart(width);

const SCHEDULE = 'bench';
const BACKUP_RUN = 'bench-backup';
const SOURCE = 'documents';
const DRILL = 'bench-drill';

const loadAtStart = loadNow();
say(`${new Date().toISOString()}  ${cpus()[0]?.model ?? 'unknown CPU'} x ${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}  load average ${load()}`);
const environment = await benchEnvironment(say);
const { info } = environment;
const work = mkdtempSync(join(tmpdir(), 'lifeboat-bench-operator-'));
const client = testClient();
let namespace: string | undefined;
let recorder: Recorder | undefined;
let operator: Awaited<ReturnType<typeof startTestOperator>> | undefined;
try {
  const server = await servers();
  const generating = performance.now();
  const database = await ensureDataset(server, sizeMb);
  say(`dataset ${database}: ${((await databaseSize(server, database)) / MiB) | 0} MiB on disk (ready in ${((performance.now() - generating) / 1000).toFixed(0)} s)`);

  await ensureCrds();
  namespace = await createNamespace(client, 'bench-op');
  const fixture = { ...appFixture(namespace, namespace), database };
  for (const secret of secretManifests(info, fixture)) await client.apply(SECRETS, secret as KubeObject, { force: true });
  await server.client.send(new CreateBucketCommand({ Bucket: fixture.backupBucket }));
  recorder = new Recorder(client, namespace);
  await recorder.start();
  operator = await startTestOperator({ namespace });
  const postgres = { host: info.postgres.host, port: info.postgres.port, sslMode: 'disable', connectionSecret: { name: SECRET_NAMES.database } };

  // The backup: a schedule (yearly, so it never fires by itself) and "back up now", defaults.
  await client.apply(BACKUP_SCHEDULES, {
    apiVersion: 'lifeboat.dev/v1alpha1',
    kind: 'BackupSchedule',
    metadata: { name: SCHEDULE, namespace },
    spec: {
      schedule: '0 0 1 1 *',
      storage: { bucket: fixture.backupBucket, prefix: 'backups', endpoint: info.s3.endpoint, region: info.s3.region, forcePathStyle: true, credentialsSecret: { name: SECRET_NAMES.storage } },
      sources: [{ name: SOURCE, postgres: { ...postgres, database, ...(compression ? { compression } : {}) } }],
    },
  } as unknown as KubeObject, { force: true });
  const backingUp = performance.now();
  await createManualRun(client, namespace, BACKUP_RUN, SCHEDULE);
  const backup = await waitForFinalRun(client, namespace, BACKUP_RUN, 3_600_000);
  if (backup.status?.phase !== 'Succeeded') throw new Error(`the backup ended ${backup.status?.phase}: ${JSON.stringify(backup.status?.conditions)}`);
  const artifact = backup.status.artifacts?.[0];
  say(`backup (BackupRun, defaults): ${((performance.now() - backingUp) / 1000).toFixed(1)} s apply -> Succeeded, artifact ${artifact?.key} ${((artifact?.sizeBytes ?? 0) / MiB).toFixed(0)} MiB`);

  // The baseline's input, untimed: the artifact downloaded, verified and decompressed.
  const manifest = await readArtifactManifest(server.client, { bucket: fixture.backupBucket, prefix: 'backups' }, { namespace, schedule: SCHEDULE, run: BACKUP_RUN, source: SOURCE });
  const dumpFile = join(work, 'documents.dump');
  await downloadArtifactToFile(server.client, { bucket: fixture.backupBucket, artifact: manifest.artifact, path: dumpFile });
  const dumpBytes = statSync(dumpFile).size;
  say(`artifact compression ${manifest.artifact.compression}; the dump it holds: ${(dumpBytes / MiB).toFixed(0)} MiB (pg_dump -Fc -Z0), in ${dumpFile}`);
  const baselineArgs = pgRestoreArgs({ format: 'custom', file: dumpFile, jobs: 1, clean: false, noOwner: true, noAcl: false });
  say(`baseline: pg_restore ${baselineArgs.join(' ')} (database created beforehand, untimed)\n`);

  // The drill: "drill now" runs of a suspended DRDrill, its plan the defaults but what must be said.
  await client.create(DR_DRILLS, {
    apiVersion: 'lifeboat.dev/v1alpha1',
    kind: 'DRDrill',
    metadata: { name: DRILL, namespace },
    spec: { scheduleRef: { name: SCHEDULE }, scenario: 'DatabaseLoss', objectives: { rto: '1h', rpo: '24h' }, scratch: { postgres }, suspend: true },
  } as unknown as KubeObject);

  const baselines: number[] = [];
  const restores: RestoreFigures[] = [];
  const drills: DrillFigures[] = [];
  const measureBaseline = async () => {
    const target = 'bench_baseline_target';
    await freshDatabase(server, target);
    await settle(server);
    const baseline = await timed(join(server.postgres.binDir, 'pg_restore'), baselineArgs, libpq(server, target));
    await dropDatabase(server, target);
    baselines.push(baseline);
    say(`baseline pg_restore from the local file: ${f(baseline)} s`);
  };
  const restoreOnce = async (rep: number) => {
    await settle(server);
    const restore = await measureRestore(rep, `bench_restored_${rep}`);
    await dropDatabase(server, `bench_restored_${rep}`);
    restores.push(restore);
    say(`RestoreRequest apply -> Succeeded:       ${f(restore.total)} s  (operator: apply -> Job ${f(restore.toFirstJob, 4)} s, Job finished -> Succeeded ${f(restore.afterLastJob, 4)} s)`);
    printBreakdowns([restore.job]);
  };
  const drillOnce = async (rep: number) => {
    await settle(server);
    const drill = await measureDrill(rep);
    drills.push(drill);
    say(`DRDrillRun apply -> Passed:              ${f(drill.total)} s  (Verify step ${drill.verifyStepSeconds} s in status, its Job ${f(drill.verifyJob, 4)} s; RTO ${drill.rto})`);
    say(`  operator: incident -> first Job ${f(drill.toFirstJob, 4)} s, between steps ${drill.gaps.map((gap) => f(gap, 4).trim()).join(' + ')} = ${f(sum(drill.gaps), 4).trim()} s, last Job finished -> Passed ${f(drill.afterLastJob, 4)} s`);
    printBreakdowns(drill.jobs);
  };
  for (let rep = 1; rep <= reps; rep++) {
    say(`--- repetition ${rep} of ${reps} (load average ${load()})`);
    const steps = [measureBaseline, () => restoreOnce(rep), () => drillOnce(rep)];
    for (const step of rep % 2 === 1 ? steps : steps.reverse()) await step();
  }

  const best = <T>(items: T[], time: (item: T) => number): T => items.reduce((a, b) => (time(b) < time(a) ? b : a));
  const baseline = Math.min(...baselines);
  const restore = best(restores, (r) => r.total);
  const drill = best(drills, (d) => d.total);
  const restoreRatio = restore.total / baseline;
  const drillRatio = drill.total / restore.total;
  say(`\nbest of ${reps} (MiB/s of the ${(dumpBytes / MiB).toFixed(0)} MiB dump)                        seconds   MiB/s`);
  const row = (name: string, seconds: number) => say(`  ${name.padEnd(62)} ${f(seconds)}  ${(dumpBytes / MiB / seconds).toFixed(0).padStart(5)}`);
  row('baseline: pg_restore --no-owner --single-transaction, local file', baseline);
  row('RestoreRequest, apply -> Succeeded', restore.total);
  say(`    operator: apply -> Job created ${f(restore.toFirstJob, 4).trim()} s, Job finished -> Succeeded ${f(restore.afterLastJob, 4).trim()} s; the Job ${f(restore.job.total, 4).trim()} s, the runner's task ${f(restore.job.task, 4).trim()} s`);
  row('DRDrillRun (DatabaseLoss), apply -> Passed', drill.total);
  const jobs = sumBreakdowns(drill.jobs);
  say(`    verification (Verify step in status) ${drill.verifyStepSeconds} s; operator: incident -> first Job ${f(drill.toFirstJob, 4).trim()} s, between steps ${f(sum(drill.gaps), 4).trim()} s, last Job finished -> Passed ${f(drill.afterLastJob, 4).trim()} s`);
  say(`    ${drill.jobs.length} Jobs ${f(jobs.total, 4).trim()} s: runners' tasks ${f(jobs.task, 4).trim()} s, runner start-up ${f(jobs.runnerStartup, 4).trim()} s, Kubernetes and the process kubelet ${f(jobs.total - jobs.task - jobs.runnerStartup, 4).trim()} s`);
  const around = drill.total - (drill.jobs[1]?.total ?? Number.NaN);
  say(`    the drill around its restore Job (provision, verify, cleanup, operator): ${f(around, 4).trim()} s; with the drill's restore Job as fast as the RestoreRequest's: ${((restore.total + around) / restore.total).toFixed(2)}x`);
  say('\nratio                                                            measured   target');
  const ratio = (name: string, value: number, target: number) =>
    say(`  ${name.padEnd(62)} ${value.toFixed(2).padStart(6)}   <= ${target.toFixed(2)}  ${value <= target ? 'met' : 'MISSED'}`);
  ratio('RestoreRequest vs pg_restore from a local file (issue 9)', restoreRatio, 1.15);
  ratio('DRDrillRun vs the RestoreRequest alone (issue 10)', drillRatio, 1.25);
  say(`load average at the end ${load()}`);
  const operatorSeconds = drill.toFirstJob + sum(drill.gaps) + drill.afterLastJob;
  const path = recordResults(
    'operator-restore',
    loadAtStart,
    [
      { name: `RestoreRequest vs pg_restore from a local file, ${sizeMb} MiB database, ${manifest.artifact.compression}, best of ${reps}`, value: restoreRatio, target: 1.15, better: 'lower' },
      { name: `DRDrillRun (DatabaseLoss) vs the RestoreRequest alone, ${manifest.artifact.compression}`, value: drillRatio, target: 1.25, better: 'lower' },
    ],
    // A time the watches missed is NaN, which JSON cannot hold: left out rather than written as null.
    [
      { name: 'drill verification (Verify step in status)', value: drill.verifyStepSeconds ?? Number.NaN, unit: 's' },
      { name: 'drill verify Job (created -> pod ended)', value: drill.verifyJob, unit: 's' },
      { name: 'drill, the operator: incident -> first Job + between steps + last Job -> Passed', value: operatorSeconds, unit: 's' },
      { name: 'RestoreRequest, the operator: apply -> Job + Job -> Succeeded', value: restore.toFirstJob + restore.afterLastJob, unit: 's' },
    ].filter((figure) => Number.isFinite(figure.value)),
  );
  say(`results recorded in ${path}`);
} finally {
  await recorder?.stop().catch(() => undefined);
  await operator?.stop().catch(() => undefined);
  if (namespace) await client.delete(NAMESPACES, undefined, namespace).catch(() => undefined);
  await client.close();
  rmSync(work, { recursive: true, force: true });
  await environment.stop();
}

interface RestoreFigures {
  total: number;
  toFirstJob: number;
  afterLastJob: number;
  job: JobBreakdown;
}

async function measureRestore(rep: number, database: string): Promise<RestoreFigures> {
  const name = `restore-${rep}`;
  const job = restoreJobName(name, SOURCE);
  recorder!.mark(`restore/${name}/applied`);
  await client.create(RESTORE_REQUESTS, {
    apiVersion: 'lifeboat.dev/v1alpha1',
    kind: 'RestoreRequest',
    metadata: { name, namespace },
    spec: {
      backup: { backupRunRef: { name: BACKUP_RUN } },
      targets: [{ source: SOURCE, postgres: { host: info.postgres.host, port: info.postgres.port, database, sslMode: 'disable', connectionSecret: { name: SECRET_NAMES.database } } }],
    },
  } as unknown as KubeObject);
  await recorder!.waitFor(`restore/${name}/Succeeded`, [`restore/${name}/Failed`, `restore/${name}/PartiallyFailed`], 3_600_000, `RestoreRequest ${name}`);
  await afterwards([job]);
  return {
    total: recorder!.seconds(`restore/${name}/applied`, `restore/${name}/Succeeded`),
    toFirstJob: recorder!.seconds(`restore/${name}/applied`, `job/${job}/created`),
    afterLastJob: recorder!.seconds(`pod/${job}/terminated`, `restore/${name}/Succeeded`),
    job: jobBreakdown(recorder!, job),
  };
}

interface DrillFigures {
  total: number;
  toFirstJob: number;
  /** Step k's Job finished (its pod's end seen) -> step k+1's Job created. */
  gaps: number[];
  afterLastJob: number;
  verifyStepSeconds: number | undefined;
  verifyJob: number;
  rto: string | undefined;
  jobs: JobBreakdown[];
}

async function measureDrill(rep: number): Promise<DrillFigures> {
  const name = `drill-${rep}`;
  const jobs = (['provision', 'restore', 'verify', 'cleanup'] as const).map((step) => drillJobName(name, step, SOURCE));
  recorder!.mark(`drill/${name}/applied`);
  await client.create(DR_DRILL_RUNS, {
    apiVersion: 'lifeboat.dev/v1alpha1',
    kind: 'DRDrillRun',
    metadata: { name, namespace },
    spec: { drillRef: { name: DRILL } },
  } as unknown as KubeObject);
  await recorder!.waitFor(`drill/${name}/Passed`, [`drill/${name}/Failed`], 3_600_000, `DRDrillRun ${name}`);
  await afterwards(jobs);
  const run = await client.get<DrillRunObject>(DR_DRILL_RUNS, namespace, name);
  const gaps = jobs.slice(1).map((job, index) => recorder!.seconds(`pod/${jobs[index]}/terminated`, `job/${job}/created`));
  return {
    total: recorder!.seconds(`drill/${name}/applied`, `drill/${name}/Passed`),
    toFirstJob: recorder!.seconds(`drill/${name}/applied`, `job/${jobs[0]}/created`),
    gaps,
    afterLastJob: recorder!.seconds(`pod/${jobs.at(-1)}/terminated`, `drill/${name}/Passed`),
    verifyStepSeconds: run.status?.steps?.find((step) => step.name === 'Verify')?.durationSeconds,
    verifyJob: recorder!.seconds(`job/${jobs[2]}/created`, `pod/${jobs[2]}/terminated`),
    rto: run.status?.rto?.measured,
    jobs: jobs.map((job) => jobBreakdown(recorder!, job)),
  };
}

/** Untimed, after the owner finished: the Jobs' own completion (for the figures) and the logs. */
async function afterwards(jobs: readonly string[]): Promise<void> {
  for (const job of jobs) await recorder!.waitFor(`job/${job}/done`, [], 15_000, `Job ${job}`).catch(() => undefined);
  // The kubelet logs the end of a pod right after writing its status.
  await new Promise((resolve) => setTimeout(resolve, 200));
  recorder!.readLogs(info, namespace!, jobs);
}

/** Before a measurement, untimed: the previous one's dirty pages written, by PostgreSQL and the kernel. */
async function settle(server: Servers): Promise<void> {
  await sql(server, 'postgres', 'CHECKPOINT');
  execFileSync('sync');
}

function printBreakdowns(breakdowns: readonly JobBreakdown[]): void {
  say('    Job                               Job ctl  sched  kubelet  runner up   task  exit  pod status   total  (Job cond.)');
  for (const b of breakdowns) {
    say(
      `    ${b.job.padEnd(32)} ${f(b.jobController, 7)} ${f(b.scheduler, 6)} ${f(b.kubelet, 8)} ${f(b.runnerStartup, 10)} ${f(b.task, 6)} ${f(b.runnerExit, 5)} ${f(b.podStatus, 11)} ${f(b.total, 7)}  ${f(b.jobCompletion, 6)}`,
    );
  }
}

function sum(numbers: readonly number[]): number {
  return numbers.reduce((a, b) => a + b, 0);
}
