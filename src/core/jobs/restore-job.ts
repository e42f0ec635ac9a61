// The Jobs of one RestoreRequest: one per target (`<restore>-<source>`), each running
// postgres-restore or bucket-restore against the artifact of that source in the chosen backup.
// The task says where the artifact is and where it goes; credentials come only as secretKeyRef
// variables: the backup storage's key pair, the target's, and the age identity when encrypted.
import type { V1EnvVar, V1Job } from '@kubernetes/client-node';
import type { BackupStorage, JobTemplate, RestoreTarget } from '../../api/index.ts';
import { RunnerEnv, SCRATCH_PATH } from '../../contract/runner-env.ts';
import { Labels, MANAGED_BY } from '../metadata.ts';
import { childName } from './job-name.ts';
import { postgresCredentialsEnv, s3CredentialsEnv, secretEnv } from './runner-env.ts';
import { buildRunnerJob, type RunnerJobOptions } from './runner-job.ts';
import { s3EndpointTask, storageTask, UNSCHEDULED, type TaskInput } from './task-specs.ts';

/** What the Jobs need to know about their owner: a RestoreRequest, or a DRDrillRun restoring into scratch targets. */
export interface RestoreForJobs {
  name: string;
  namespace: string;
  uid: string;
  jobTemplate?: JobTemplate | undefined;
  /** RestoreRequest unless said otherwise. */
  kind?: 'RestoreRequest' | 'DRDrillRun' | undefined;
  /** The Job's name and labels when the owner names its Jobs its own way (a drill run's steps). */
  job?: { name: string; labels: Record<string, string> } | undefined;
}

/** The backup a restore reads: its run, where it is stored, and how it is decrypted. */
export interface BackupForJobs {
  run: string;
  schedule?: string | undefined;
  storage: BackupStorage;
  /** The Secret key holding the age identity, when the backup is encrypted. */
  identity?: { name: string; key: string } | undefined;
}

/**
 * The age identity that decrypts a backup: the owner's own Secret (a RestoreRequest's
 * spec.decryption, a drill's plan.decryption) wins over the schedule's
 * storage.encryption.identitySecret, so the private key need not sit next to the backups.
 */
export function decryptionIdentity(
  own: { name: string; key: string } | undefined,
  ownField: string,
  storage: BackupStorage | undefined,
): { name: string; key: string; field: string } | undefined {
  if (own) return { ...own, field: ownField };
  const fallback = storage?.encryption?.identitySecret;
  return fallback ? { ...fallback, field: 'storage.encryption.identitySecret (of the backup schedule)' } : undefined;
}

export function restoreJobName(restore: string, source: string): string {
  return childName(restore, source);
}

function labels(restore: RestoreForJobs, source: string): Record<string, string> {
  return { [Labels.managedBy]: MANAGED_BY, [Labels.restoreRequest]: restore.name, [Labels.step]: 'restore', [Labels.source]: source };
}

function artifactOf(restore: RestoreForJobs, backup: BackupForJobs, source: string) {
  return { namespace: restore.namespace, schedule: backup.schedule ?? UNSCHEDULED, run: backup.run, source };
}

function decryptionOf(backup: BackupForJobs) {
  return backup.identity ? { decryption: { identityEnv: RunnerEnv.ageIdentity } } : {};
}

export function postgresRestoreTask(restore: RestoreForJobs, target: RestoreTarget, backup: BackupForJobs): TaskInput<'postgres-restore'> {
  const postgres = target.postgres!;
  return {
    storage: storageTask(backup.storage),
    artifact: artifactOf(restore, backup, target.source),
    target: {
      host: postgres.host,
      port: postgres.port,
      database: postgres.database,
      sslMode: postgres.sslMode,
      usernameEnv: RunnerEnv.postgresUser,
      passwordEnv: RunnerEnv.postgresPassword,
    },
    createDatabase: postgres.createDatabase,
    overwritePolicy: postgres.overwritePolicy,
    parallelJobs: postgres.parallelJobs,
    noOwner: postgres.noOwner,
    // A parallel restore downloads the artifact first: onto the Job's scratch volume.
    workDir: SCRATCH_PATH,
    ...decryptionOf(backup),
  };
}

export function bucketRestoreTask(restore: RestoreForJobs, target: RestoreTarget, backup: BackupForJobs): TaskInput<'bucket-restore'> {
  const bucket = target.bucket!;
  return {
    storage: storageTask(backup.storage),
    artifact: artifactOf(restore, backup, target.source),
    target: {
      ...s3EndpointTask(bucket, RunnerEnv.targetCredentialsPrefix),
      bucket: bucket.bucket,
      prefix: '',
    },
    ...(bucket.prefixRemap ? { prefixRemap: bucket.prefixRemap } : {}),
    overwritePolicy: bucket.overwritePolicy,
    createBucket: bucket.createBucket,
    ...decryptionOf(backup),
  };
}

export function buildRestoreJob(restore: RestoreForJobs, target: RestoreTarget, backup: BackupForJobs, options: RunnerJobOptions): V1Job {
  const credentials: V1EnvVar[] = [
    ...s3CredentialsEnv(RunnerEnv.storageCredentialsPrefix, backup.storage.credentialsSecret),
    ...(backup.identity ? [secretEnv(RunnerEnv.ageIdentity, backup.identity.name, backup.identity.key)] : []),
    ...(target.postgres ? postgresCredentialsEnv(target.postgres.connectionSecret) : s3CredentialsEnv(RunnerEnv.targetCredentialsPrefix, target.bucket?.credentialsSecret)),
  ];
  const postgres = target.postgres !== undefined;
  return buildRunnerJob(
    {
      name: restore.job?.name ?? restoreJobName(restore.name, target.source),
      namespace: restore.namespace,
      owner: { kind: restore.kind ?? 'RestoreRequest', name: restore.name, uid: restore.uid },
      labels: restore.job?.labels ?? labels(restore, target.source),
      subcommand: postgres ? 'postgres-restore' : 'bucket-restore',
      task: postgres ? postgresRestoreTask(restore, target, backup) : bucketRestoreTask(restore, target, backup),
      credentials,
      jobTemplate: restore.jobTemplate,
    },
    options,
  );
}
