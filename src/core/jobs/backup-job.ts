// The Jobs of one BackupRun: one backup Job per source (`<run>-<source>`), then one that writes
// the run manifest (`<run>--finalize`) and one that reads the artifacts back (`<run>--verify`).
// The double hyphen keeps those two apart from any source's Job: a source name never starts
// with a hyphen.
import type { V1EnvVar, V1Job } from '@kubernetes/client-node';
import type { BackupSource, BackupStorage, JobTemplate } from '../../api/index.ts';
import { RunnerEnv } from '../../contract/runner-env.ts';
import { Labels, MANAGED_BY } from '../metadata.ts';
import { childName } from './job-name.ts';
import { buildRunnerJob, type RunnerJobOptions } from './runner-job.ts';
import { postgresCredentialsEnv, s3CredentialsEnv, secretEnv } from './runner-env.ts';
import { bucketBackupTask, finalizeRunTask, postgresBackupTask, UNSCHEDULED, verifyTask, type RunLocation } from './task-specs.ts';

/** What the Jobs need to know about their run (with sources and storage resolved). */
export interface RunForJobs {
  name: string;
  namespace: string;
  uid: string;
  /** The schedule the run belongs to, if any. */
  schedule?: string | undefined;
  storage: BackupStorage;
  jobTemplate?: JobTemplate | undefined;
}

export type RunStep = 'backup' | 'finalize' | 'verify';

export function runLocation(run: Pick<RunForJobs, 'name' | 'namespace' | 'schedule'>): RunLocation {
  return { namespace: run.namespace, schedule: run.schedule ?? UNSCHEDULED, run: run.name };
}

export function backupJobName(run: string, source: string): string {
  return childName(run, source);
}

export function stepJobName(run: string, step: Exclude<RunStep, 'backup'>): string {
  return childName(run, `-${step}`);
}

function labels(run: RunForJobs, step: RunStep, source?: string): Record<string, string> {
  return {
    [Labels.managedBy]: MANAGED_BY,
    [Labels.backupRun]: run.name,
    ...(run.schedule ? { [Labels.schedule]: run.schedule } : {}),
    [Labels.step]: step,
    ...(source ? { [Labels.source]: source } : {}),
  };
}

function storageCredentials(storage: BackupStorage): V1EnvVar[] {
  return s3CredentialsEnv(RunnerEnv.storageCredentialsPrefix, storage.credentialsSecret);
}

function encryptionCredentials(storage: BackupStorage): V1EnvVar[] {
  const recipients = storage.encryption?.recipientsSecret;
  return recipients ? [secretEnv(RunnerEnv.ageRecipients, recipients.name, recipients.key)] : [];
}

function common(run: RunForJobs) {
  return { namespace: run.namespace, owner: { kind: 'BackupRun', name: run.name, uid: run.uid }, jobTemplate: run.jobTemplate };
}

export function buildBackupJob(run: RunForJobs, source: BackupSource, options: RunnerJobOptions): V1Job {
  const location = runLocation(run);
  const base = { ...common(run), name: backupJobName(run.name, source.name), labels: labels(run, 'backup', source.name) };
  const storageEnv = [...storageCredentials(run.storage), ...encryptionCredentials(run.storage)];
  if (source.postgres) {
    return buildRunnerJob(
      {
        ...base,
        subcommand: 'postgres-backup',
        task: postgresBackupTask(location, { ...source, postgres: source.postgres }, run.storage),
        credentials: [...postgresCredentialsEnv(source.postgres.connectionSecret), ...storageEnv],
      },
      options,
    );
  }
  if (source.bucket) {
    return buildRunnerJob(
      {
        ...base,
        subcommand: 'bucket-backup',
        task: bucketBackupTask(location, { ...source, bucket: source.bucket }, run.storage),
        credentials: [...s3CredentialsEnv(RunnerEnv.sourceCredentialsPrefix, source.bucket.credentialsSecret), ...storageEnv],
      },
      options,
    );
  }
  throw new Error(`source ${source.name} has neither postgres nor bucket`);
}

export function buildFinalizeJob(run: RunForJobs, sources: readonly string[], options: RunnerJobOptions): V1Job {
  return buildRunnerJob(
    {
      ...common(run),
      name: stepJobName(run.name, 'finalize'),
      labels: labels(run, 'finalize'),
      subcommand: 'finalize-run',
      task: finalizeRunTask(runLocation(run), run.storage, sources),
      credentials: storageCredentials(run.storage),
    },
    options,
  );
}

export function buildVerifyJob(run: RunForJobs, options: RunnerJobOptions): V1Job {
  return buildRunnerJob(
    {
      ...common(run),
      name: stepJobName(run.name, 'verify'),
      labels: labels(run, 'verify'),
      subcommand: 'verify',
      task: verifyTask(runLocation(run), run.storage),
      credentials: storageCredentials(run.storage),
    },
    options,
  );
}
