// Fixture builders for the RestoreRequest table tests: a request, the BackupRuns it may pick
// (as candidates), and runner results of the restore subcommands.
import { BackupStorage, RestoreRequestSpec, type RestoreRequest, type RestoreRequestStatus } from '../../api/index.ts';
import type { RunnerResult } from '../job-set/index.ts';
import type { BackupCandidate, ObservedRestore, RestoreConfig } from '../restore/types.ts';
import { aBackupRun, allSecrets, MINUTE, postgresSource, storage } from './builders.ts';

export const restoreConfig: RestoreConfig = {
  runner: { image: 'ghcr.io/lifeboat/lifeboat-runner:v0.1.0' },
  missingReferenceGraceMs: 10 * MINUTE,
  recheckAfterMs: 15_000,
};

export const pgTarget = { source: 'db', postgres: { host: 'db-restore.prod.svc', database: 'app_restored', connectionSecret: { name: 'pg' } } };
export const bucketTarget = { source: 'files', bucket: { bucket: 'uploads-restored', endpoint: 'http://minio:9000', credentialsSecret: { name: 'uploads-s3' } } };

export interface RestoreFixture {
  spec?: Record<string, unknown>;
  status?: RestoreRequestStatus;
  created?: string;
  finalizers?: string[];
  deleting?: string;
}

export function aRestore(fixture: RestoreFixture = {}): RestoreRequest {
  return {
    apiVersion: 'lifeboat.dev/v1alpha1',
    kind: 'RestoreRequest',
    metadata: {
      name: 'undo',
      namespace: 'prod',
      uid: 'uid-undo',
      generation: 1,
      creationTimestamp: fixture.created ?? '2025-01-02T10:00:00Z',
      finalizers: fixture.finalizers ?? ['lifeboat.dev/restore-jobs'],
      ...(fixture.deleting ? { deletionTimestamp: fixture.deleting } : {}),
    },
    spec: RestoreRequestSpec.parse(fixture.spec ?? { backup: { backupRunRef: { name: 'app-1' } }, targets: [pgTarget, bucketTarget] }),
    ...(fixture.status ? { status: fixture.status } : {}),
  };
}

/** A successful backup of schedule app with a PostgreSQL source db and a bucket source files. */
export function aCandidate(name: string, snapshotTime: string, overrides: Partial<BackupCandidate> = {}): BackupCandidate {
  return {
    name,
    schedule: 'app',
    phase: 'Succeeded',
    snapshotTime,
    manifestKey: `prod/prod/app/${name}/run.json`,
    storage: BackupStorage.parse(storage),
    artifacts: [
      { source: 'db', type: 'Postgres', phase: 'Succeeded', encrypted: false },
      { source: 'files', type: 'Bucket', phase: 'Succeeded', encrypted: false },
    ],
    deleting: false,
    ...overrides,
  };
}

export function observedRestore(restore: RestoreRequest, overrides: Partial<ObservedRestore> = {}): ObservedRestore {
  return {
    restore,
    runs: [aCandidate('app-1', '2025-01-01T02:00:10Z')],
    jobs: [],
    secrets: allSecrets,
    ...overrides,
  };
}

export const postgresRestored = (overrides: Record<string, unknown> = {}): RunnerResult => ({
  ok: true,
  subcommand: 'postgres-restore',
  summary: { database: 'app_restored', created: true, jobs: 1, key: 'k', sizeBytes: 2048, sha256: 'a'.repeat(64), checksumVerified: true, durationSeconds: 80, ...overrides },
});

export const bucketRestored = (overrides: Record<string, unknown> = {}): RunnerResult => ({
  ok: true,
  subcommand: 'bucket-restore',
  summary: { targetBucket: 'uploads-restored', createdBucket: true, objects: 17, skippedObjects: 0, bytes: 9000, sizeBytes: 4096, sha256: 'b'.repeat(64), durationSeconds: 20, ...overrides },
});

/** The backup the controller tests restore from: app-1 of schedule app, one PostgreSQL source, Succeeded. */
export function succeededAppBackup(): ReturnType<typeof aBackupRun> {
  return aBackupRun({
    name: 'app-1',
    spec: { scheduleRef: { name: 'app' }, sources: [postgresSource], storage },
    status: {
      phase: 'Succeeded',
      snapshotTime: '2025-01-01T02:00:10Z',
      manifestKey: 'prod/prod/app/app-1/manifest.json',
      artifacts: [{ source: 'db', type: 'Postgres', phase: 'Succeeded', encrypted: false }],
    },
  });
}
