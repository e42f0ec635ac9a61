// The samples in deploy/samples are what users copy. Every runner task the operator would build
// from them must parse with the task schemas the runner itself parses with (src/contract/tasks.ts
// via src/runner/task.ts): a field the API and the runner name differently fails here, not in a
// user's first restore.
import { describe, expect, it } from '@jest/globals';
import type { V1Job } from '@kubernetes/client-node';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { BackupSchedule, DRDrill, DrillPlan, RestoreRequest } from '../api/index.ts';
import { RunnerEnv } from '../contract/runner-env.ts';
import { TASK_SCHEMAS, type Subcommand } from '../contract/tasks.ts';
import { buildBackupJob, buildFinalizeJob, buildVerifyJob, type RunForJobs } from '../core/index.ts';
import { buildDrillRestoreJob, buildDrillVerifyJob, buildScratchJob, type DrillSource } from '../core/jobs/drill-jobs.ts';
import { buildRestoreJob } from '../core/jobs/restore-job.ts';

const dir = fileURLToPath(new URL('../../deploy/samples/', import.meta.url));
const objects = readdirSync(dir)
  .filter((file) => file.endsWith('.yaml'))
  .flatMap((file) => parseAllDocuments(readFileSync(`${dir}${file}`, 'utf8')).map((doc) => doc.toJS() as { kind: string; metadata: { name: string } }));
const ofKind = (kind: string) => objects.filter((object) => object.kind === kind);
const runner = { image: 'ghcr.io/lifeboat-dev/lifeboat-runner:test' };

/** The subcommand and the task of a runner Job, parsed as the runner parses them. */
function parsedTask(job: V1Job) {
  const container = job.spec!.template.spec!.containers[0]!;
  const subcommand = container.args![0] as Subcommand;
  const text = container.env!.find((variable) => variable.name === RunnerEnv.task)!.value!;
  return { subcommand, parsed: TASK_SCHEMAS[subcommand].safeParse(JSON.parse(text)) };
}

describe('the runner tasks built from deploy/samples', () => {
  const schedule = BackupSchedule.parse({ ...ofKind('BackupSchedule')[0], metadata: { ...ofKind('BackupSchedule')[0]!.metadata, namespace: 'app' } });
  const run: RunForJobs = { name: 'app-1741919400', namespace: 'app', uid: 'uid', schedule: 'app', storage: schedule.spec.storage, jobTemplate: schedule.spec.jobTemplate };

  it('the schedule: one backup task per source, then finalize and verify', () => {
    const jobs = [...schedule.spec.sources.map((source) => buildBackupJob(run, source, runner)), buildFinalizeJob(run, schedule.spec.sources.map((s) => s.name), runner), buildVerifyJob(run, runner)];
    const tasks = jobs.map(parsedTask);
    expect(tasks.map((task) => task.subcommand)).toEqual(['postgres-backup', 'bucket-backup', 'bucket-backup', 'bucket-backup', 'finalize-run', 'verify']);
    for (const task of tasks) expect(task.parsed.error?.issues ?? []).toEqual([]);
  });

  it('the RestoreRequest: one restore task per target, saying what the API says', () => {
    const restore = RestoreRequest.parse({ ...ofKind('RestoreRequest')[0], metadata: { ...ofKind('RestoreRequest')[0]!.metadata, namespace: 'app' } });
    const backup = { run: run.name, schedule: 'app', storage: schedule.spec.storage };
    const owner = { name: restore.metadata.name!, namespace: 'app', uid: 'uid', jobTemplate: restore.spec.jobTemplate };
    const tasks = restore.spec.targets.map((target) => parsedTask(buildRestoreJob(owner, target, backup, runner)));
    expect(tasks.map((task) => task.subcommand)).toEqual(['postgres-restore', 'bucket-restore']);
    for (const task of tasks) expect(task.parsed.error?.issues ?? []).toEqual([]);
    const [postgres, bucket] = restore.spec.targets;
    expect(tasks[0]!.parsed.data).toMatchObject({
      artifact: { namespace: 'app', schedule: 'app', run: run.name, source: 'app-db' },
      target: { host: postgres!.postgres!.host, database: postgres!.postgres!.database, sslMode: 'require' },
      createDatabase: postgres!.postgres!.createDatabase,
      overwritePolicy: postgres!.postgres!.overwritePolicy,
      parallelJobs: postgres!.postgres!.parallelJobs,
      noOwner: postgres!.postgres!.noOwner,
    });
    expect(tasks[1]!.parsed.data).toMatchObject({
      artifact: { source: 'uploads' },
      target: { bucket: bucket!.bucket!.bucket, endpoint: bucket!.bucket!.endpoint },
      overwritePolicy: bucket!.bucket!.overwritePolicy,
      createBucket: bucket!.bucket!.createBucket,
    });
  });

  it('the DRDrill: provision, restore, verify and cleanup tasks for every source of its scenario', () => {
    const drill = DRDrill.parse({ ...ofKind('DRDrill')[0], metadata: { ...ofKind('DRDrill')[0]!.metadata, namespace: 'app' } });
    const plan = DrillPlan.parse(drill.spec);
    const drillRun = { name: 'app-weekly-1741500000', namespace: 'app', uid: 'uid', runId: '1741500000abcd', plan };
    const backup = { run: run.name, schedule: 'app', storage: schedule.spec.storage, identity: { name: 'age-identity', key: 'identity' } };
    const sources: DrillSource[] = schedule.spec.sources.map((source, index) => ({ name: source.name, kind: source.postgres ? 'postgres' : 'bucket', index }));
    const postgres = sources.filter((source) => source.kind === 'postgres').map((source) => source.name);
    const jobs = sources.flatMap((source) => [
      buildScratchJob(drillRun, source, 'scratch-create', runner),
      buildDrillRestoreJob(drillRun, source, backup, runner),
      buildDrillVerifyJob(drillRun, source, backup, postgres, runner),
      buildScratchJob(drillRun, source, 'scratch-drop', runner),
    ]);
    const tasks = jobs.map(parsedTask);
    expect(new Set(tasks.map((task) => task.subcommand))).toEqual(new Set(['scratch-create', 'postgres-restore', 'bucket-restore', 'drill-check', 'bucket-check', 'scratch-drop']));
    for (const task of tasks) expect(task.parsed.error?.issues ?? []).toEqual([]);
    const check = tasks.find((task) => task.subcommand === 'drill-check')!.parsed.data as { checks: { name: string; query: string; expect: object }[]; freshness?: { query: string } };
    expect(check.checks.map((c) => c.name)).toEqual((plan.verify.sql ?? []).map((c) => c.name));
    expect(check.checks[1]!.expect).toEqual(plan.verify.sql![1]!.expect);
    expect(check.freshness?.query).toBe(plan.verify.freshness?.query);
  });
});
