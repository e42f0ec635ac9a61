// The runner's task specs (src/contract/tasks.ts) from the API's sources and storage. The API speaks
// Kubernetes (PascalCase enums, Secret references); the runner speaks in its own terms
// (lowercase enums, the names of the env vars that hold credentials).
import type { z } from 'zod';
import type { BackupSource, BackupStorage } from '../../api/index.ts';
import { RunnerEnv } from '../../contract/runner-env.ts';
import type { TASK_SCHEMAS } from '../../contract/tasks.ts';

export type TaskInput<S extends keyof typeof TASK_SCHEMAS> = z.input<(typeof TASK_SCHEMAS)[S]>;

/** Where a run's objects go: <prefix>/<namespace>/<schedule>/<run>/ (src/contract/bucket-layout.ts). */
export interface RunLocation {
  namespace: string;
  schedule: string;
  run: string;
}

/** The schedule segment of runs that name no schedule (created with sources and storage only). */
export const UNSCHEDULED = 'unscheduled';

type StorageTask = TaskInput<'finalize-run'>['storage'];

export function storageTask(storage: BackupStorage): StorageTask {
  return {
    ...(storage.endpoint ? { endpoint: storage.endpoint } : {}),
    region: storage.region,
    forcePathStyle: storage.forcePathStyle,
    credentialsEnvPrefix: RunnerEnv.storageCredentialsPrefix,
    bucket: storage.bucket,
    prefix: storage.prefix ?? '',
  };
}

/**
 * How the runner reaches an S3 endpoint the API names (a bucket source, a restore target, a
 * drill's scratch endpoint): with the variables of its own Secret (`ownPrefix`) when it names
 * one, else with the storage's key pair.
 */
export function s3EndpointTask(
  connection: { endpoint?: string | undefined; region: string; forcePathStyle: boolean; credentialsSecret?: unknown },
  ownPrefix: string,
): Pick<StorageTask, 'endpoint' | 'region' | 'forcePathStyle' | 'credentialsEnvPrefix'> {
  return {
    ...(connection.endpoint ? { endpoint: connection.endpoint } : {}),
    region: connection.region,
    forcePathStyle: connection.forcePathStyle,
    credentialsEnvPrefix: connection.credentialsSecret ? ownPrefix : RunnerEnv.storageCredentialsPrefix,
  };
}

function encryptionTask(storage: BackupStorage): TaskInput<'postgres-backup'>['encryption'] {
  // Recipients come from a Secret, so the task only names the variable that holds them.
  return storage.encryption ? { recipients: [], keyEnv: RunnerEnv.ageRecipients } : undefined;
}

const lower = <T extends string>(value: T) => value.toLowerCase() as Lowercase<T>;

export function postgresBackupTask(
  location: RunLocation,
  source: BackupSource & { postgres: NonNullable<BackupSource['postgres']> },
  storage: BackupStorage,
): TaskInput<'postgres-backup'> {
  const { postgres } = source;
  const encryption = encryptionTask(storage);
  return {
    storage: storageTask(storage),
    location: { ...location, source: source.name },
    postgres: {
      host: postgres.host,
      port: postgres.port,
      database: postgres.database,
      sslMode: postgres.sslMode,
      usernameEnv: RunnerEnv.postgresUser,
      passwordEnv: RunnerEnv.postgresPassword,
    },
    format: lower(postgres.format),
    compression: lower(postgres.compression),
    ...(encryption ? { encryption } : {}),
  };
}

export function bucketBackupTask(
  location: RunLocation,
  source: BackupSource & { bucket: NonNullable<BackupSource['bucket']> },
  storage: BackupStorage,
): TaskInput<'bucket-backup'> {
  const { bucket } = source;
  const encryption = encryptionTask(storage);
  return {
    storage: storageTask(storage),
    location: { ...location, source: source.name },
    source: {
      ...s3EndpointTask(bucket, RunnerEnv.sourceCredentialsPrefix),
      bucket: bucket.bucket,
      prefix: bucket.prefix ?? '',
    },
    compression: lower(bucket.compression),
    concurrency: bucket.parallelism,
    ...(encryption ? { encryption } : {}),
  };
}

export function finalizeRunTask(location: RunLocation, storage: BackupStorage, sources: readonly string[]): TaskInput<'finalize-run'> {
  return { storage: storageTask(storage), location, sources: [...sources] };
}

export function verifyTask(location: RunLocation, storage: BackupStorage): TaskInput<'verify'> {
  return { storage: storageTask(storage), location };
}
