// The Jobs of one DRDrillRun, one per source and step: `<run>-provision-<source>` creates the
// source's scratch database or bucket, `<run>-restore-<source>` restores into it (the same
// restore Job a RestoreRequest runs), `<run>-verify-<source>` checks the restored data, and
// `<run>-cleanup-<source>` removes the scratch target. Scratch names carry the fixed prefixes the
// runner insists on (src/contract/tasks.ts), so no drill can ever drop a user's database.
import type { V1EnvVar, V1Job } from '@kubernetes/client-node';
import { RestoreTarget, type BackupStorage, type DrillPlan, type JobTemplate } from '../../api/index.ts';
import { RunnerEnv } from '../../contract/runner-env.ts';
import { scratchBucketName, scratchDatabaseName } from '../../contract/tasks.ts';
import { Labels, MANAGED_BY } from '../metadata.ts';
import { childName } from './job-name.ts';
import { buildRestoreJob, type BackupForJobs } from './restore-job.ts';
import { postgresCredentialsEnv, s3CredentialsEnv, secretEnv } from './runner-env.ts';
import { buildRunnerJob, type RunnerJobOptions } from './runner-job.ts';
import { s3EndpointTask, storageTask, UNSCHEDULED, type TaskInput } from './task-specs.ts';

export type DrillStep = 'provision' | 'restore' | 'verify' | 'cleanup';

/** What the Jobs need to know about their run. */
export interface DrillRunForJobs {
  name: string;
  namespace: string;
  uid: string;
  /** Short id in the scratch names: lowercase letters and digits. */
  runId: string;
  plan: DrillPlan;
}

/** One source of the backup the drill restores. */
export interface DrillSource {
  name: string;
  kind: 'postgres' | 'bucket';
  /** Its place among the drill's sources: the scratch name's suffix. */
  index: number;
}

export function drillJobName(run: string, step: DrillStep, source: string): string {
  return childName(run, `${step}-${source}`);
}

export function scratchName(run: Pick<DrillRunForJobs, 'runId'>, source: DrillSource): string {
  return source.kind === 'postgres' ? scratchDatabaseName(run.runId, source.index) : scratchBucketName(run.runId, source.index);
}

function labels(run: DrillRunForJobs, step: DrillStep, source: string): Record<string, string> {
  return { [Labels.managedBy]: MANAGED_BY, [Labels.drillRun]: run.name, [Labels.step]: step, [Labels.source]: source };
}

/**
 * A drill's Jobs are never removed by ttlSecondsAfterFinished: a step's result must still be
 * there when the step ends, and the Jobs go with their run (historyLimit prunes runs).
 */
function jobTemplate(plan: DrillPlan): JobTemplate | undefined {
  if (!plan.jobTemplate) return undefined;
  const { ttlSecondsAfterFinished: _ignored, ...rest } = plan.jobTemplate;
  return rest as JobTemplate;
}

function common(run: DrillRunForJobs, step: DrillStep, source: DrillSource) {
  return {
    name: drillJobName(run.name, step, source.name),
    namespace: run.namespace,
    owner: { kind: 'DRDrillRun', name: run.name, uid: run.uid },
    labels: labels(run, step, source.name),
    jobTemplate: jobTemplate(run.plan),
  };
}

function scratchPostgres(plan: DrillPlan, database: string) {
  const postgres = plan.scratch.postgres!;
  return { host: postgres.host, port: postgres.port, database, sslMode: postgres.sslMode, usernameEnv: RunnerEnv.postgresUser, passwordEnv: RunnerEnv.postgresPassword };
}

function scratchS3(plan: DrillPlan) {
  return s3EndpointTask(plan.scratch.s3!, RunnerEnv.targetCredentialsPrefix);
}

function scratchCredentials(plan: DrillPlan, source: DrillSource): V1EnvVar[] {
  return source.kind === 'postgres'
    ? postgresCredentialsEnv(plan.scratch.postgres!.connectionSecret)
    : s3CredentialsEnv(RunnerEnv.targetCredentialsPrefix, plan.scratch.s3!.credentialsSecret);
}

function storageCredentials(backup: BackupForJobs): V1EnvVar[] {
  return [
    ...s3CredentialsEnv(RunnerEnv.storageCredentialsPrefix, backup.storage.credentialsSecret),
    ...(backup.identity ? [secretEnv(RunnerEnv.ageIdentity, backup.identity.name, backup.identity.key)] : []),
  ];
}

/**
 * scratch-create (Provision) or scratch-drop (Cleanup) of one source's scratch target. The run's
 * uid is the claim: a Provision pod retried after it created its target takes it back instead
 * of failing with "exists" (and leaking it). A scratch S3 endpoint without a Secret of its own
 * is reached with the backup storage's key pair, as the restore Jobs reach it.
 */
export function buildScratchJob(
  run: DrillRunForJobs,
  source: DrillSource,
  action: 'scratch-create' | 'scratch-drop',
  options: RunnerJobOptions,
  storage?: BackupStorage,
  /** Drop only a target that carries the run's claim: Provision was stopped, it may not be ours. */
  requireClaim = false,
): V1Job {
  const name = scratchName(run, source);
  const claim = run.uid || undefined;
  const task: TaskInput<'scratch-create'> =
    source.kind === 'postgres'
      ? { kind: 'database', postgres: scratchPostgres(run.plan, 'postgres'), name, ...(claim ? { claim } : {}), ...(requireClaim && claim ? { requireClaim } : {}) }
      : { kind: 'bucket', s3: scratchS3(run.plan), name, ...(claim ? { claim } : {}), ...(requireClaim && claim ? { requireClaim } : {}) };
  const borrowed = source.kind === 'bucket' && !run.plan.scratch.s3!.credentialsSecret ? s3CredentialsEnv(RunnerEnv.storageCredentialsPrefix, storage?.credentialsSecret) : [];
  return buildRunnerJob(
    { ...common(run, action === 'scratch-create' ? 'provision' : 'cleanup', source), subcommand: action, task, credentials: [...scratchCredentials(run.plan, source), ...borrowed] },
    options,
  );
}

/** The restore of one source into its scratch target: the very Job a RestoreRequest would run. */
export function buildDrillRestoreJob(run: DrillRunForJobs, source: DrillSource, backup: BackupForJobs, options: RunnerJobOptions): V1Job {
  const scratch = scratchName(run, source);
  const target = RestoreTarget.parse(
    source.kind === 'postgres'
      ? { source: source.name, postgres: { ...run.plan.scratch.postgres!, database: scratch, createDatabase: false, overwritePolicy: 'Fail' } }
      : { source: source.name, bucket: { ...run.plan.scratch.s3!, bucket: scratch, createBucket: false, overwritePolicy: 'Fail' } },
  );
  const { name, labels: jobLabels, jobTemplate: template } = common(run, 'restore', source);
  return buildRestoreJob({ name: run.name, namespace: run.namespace, uid: run.uid, jobTemplate: template, kind: 'DRDrillRun', job: { name, labels: jobLabels } }, target, backup, options);
}

function artifactOf(run: DrillRunForJobs, backup: BackupForJobs, source: DrillSource) {
  return { namespace: run.namespace, schedule: backup.schedule ?? UNSCHEDULED, run: backup.run, source: source.name };
}

/** The SQL checks and the freshness query that concern a PostgreSQL source (see drillProblems for "which"). */
export function checksOf(plan: DrillPlan, source: DrillSource, postgresSources: readonly string[]): { sql: NonNullable<DrillPlan['verify']['sql']>; freshness?: string | undefined } {
  const mine = (named: string | undefined) => (named ?? postgresSources[0]) === source.name;
  return {
    sql: (plan.verify.sql ?? []).filter((check) => mine(check.source)),
    freshness: plan.verify.freshness && mine(plan.verify.freshness.source) ? plan.verify.freshness.query : undefined,
  };
}

/** Whether a source gets a verify Job at all. */
export function needsVerify(plan: DrillPlan, source: DrillSource, postgresSources: readonly string[]): boolean {
  if (source.kind === 'bucket') return plan.verify.objectChecksums;
  const { sql, freshness } = checksOf(plan, source, postgresSources);
  return plan.verify.rowCounts || plan.verify.schemaObjects || sql.length > 0 || freshness !== undefined;
}

/** drill-check (PostgreSQL) or bucket-check (bucket) of one restored source. */
export function buildDrillVerifyJob(run: DrillRunForJobs, source: DrillSource, backup: BackupForJobs, postgresSources: readonly string[], options: RunnerJobOptions): V1Job {
  const { plan } = run;
  const storage = storageTask(backup.storage);
  const artifact = artifactOf(run, backup, source);
  const decryption = backup.identity ? { decryption: { identityEnv: RunnerEnv.ageIdentity } } : {};
  if (source.kind === 'bucket') {
    const task: TaskInput<'bucket-check'> = { storage, artifact, target: { ...scratchS3(plan), bucket: scratchName(run, source), prefix: '' }, ...decryption };
    return buildRunnerJob(
      { ...common(run, 'verify', source), subcommand: 'bucket-check', task, credentials: [...storageCredentials(backup), ...scratchCredentials(plan, source)] },
      options,
    );
  }
  const { sql, freshness } = checksOf(plan, source, postgresSources);
  const task: TaskInput<'drill-check'> = {
    postgres: scratchPostgres(plan, scratchName(run, source)),
    checks: sql.map((check) => ({ name: check.name, query: check.query, expect: check.expect })),
    ...(plan.verify.rowCounts ? { rowCounts: { storage, artifact } } : {}),
    ...(plan.verify.schemaObjects ? { schemaObjects: { storage, artifact, ...decryption } } : {}),
    ...(freshness ? { freshness: { query: freshness } } : {}),
  };
  return buildRunnerJob(
    { ...common(run, 'verify', source), subcommand: 'drill-check', task, credentials: [...storageCredentials(backup), ...scratchCredentials(plan, source)] },
    options,
  );
}
