// Fixture builders for the core's table tests: each returns a valid object with sensible
// defaults, and a test states only what its sentence is about.
import { BackupRunSpec, BackupScheduleSpec, type BackupRun, type BackupRunStatus } from '../../api/index.ts';
import type { BackupRunConfig, ObservedBackupRun, ObservedJob, ObservedSecret } from '../backup-run/types.ts';
import type { RunnerResult } from '../job-set/index.ts';
import { Annotations } from '../metadata.ts';
import type { ScheduleRunView } from '../schedule-run.ts';
import type { ObservedSchedule } from '../schedule/types.ts';

/** An instant, written the way tests read best. */
export const at = (iso: string): Date => new Date(iso);

export const HOUR = 3_600_000;
export const MINUTE = 60_000;

export const storage = { bucket: 'backups', prefix: 'prod', endpoint: 'http://minio:9000', forcePathStyle: true, credentialsSecret: { name: 's3' } };
export const postgresSource = { name: 'db', postgres: { host: 'db.prod.svc', database: 'app', connectionSecret: { name: 'pg' } } };
export const bucketSource = { name: 'files', bucket: { bucket: 'uploads', endpoint: 'http://minio:9000', credentialsSecret: { name: 'uploads-s3' } } };

export function scheduleSpec(overrides: Record<string, unknown> = {}): BackupScheduleSpec {
  return BackupScheduleSpec.parse({ schedule: '0 2 * * *', storage, sources: [postgresSource], ...overrides });
}

export function aSchedule(overrides: Partial<ObservedSchedule> & { spec?: BackupScheduleSpec } = {}): ObservedSchedule {
  return {
    name: 'app',
    namespace: 'prod',
    uid: 'uid-app',
    generation: 1,
    creationTime: at('2025-01-01T00:00:00Z'),
    spec: scheduleSpec(),
    problems: [],
    runs: [],
    ...overrides,
  };
}

/** A schedule's view of one of its runs. */
export function aRun(name: string, overrides: Partial<ScheduleRunView> = {}): ScheduleRunView {
  return { name, phase: 'Succeeded', creationTime: at('2025-01-01T00:00:00Z'), ...overrides };
}

/** A successful run whose data is from `snapshot`, created and completed a minute around it. */
export function succeededAt(name: string, snapshot: string, overrides: Partial<ScheduleRunView> = {}): ScheduleRunView {
  const time = at(snapshot);
  return aRun(name, {
    phase: 'Succeeded',
    creationTime: new Date(time.getTime() - MINUTE),
    snapshotTime: time,
    completionTime: new Date(time.getTime() + MINUTE),
    sizeBytes: 1024,
    ...overrides,
  });
}

export function failedAt(name: string, created: string, phase: 'Failed' | 'PartiallyFailed' = 'Failed'): ScheduleRunView {
  return aRun(name, { phase, creationTime: at(created), completionTime: new Date(at(created).getTime() + MINUTE) });
}

export function runningSince(name: string, created: string): ScheduleRunView {
  return aRun(name, { phase: 'Running', creationTime: at(created) });
}


// --- BackupRun --------------------------------------------------------------------------------

export const config: BackupRunConfig = {
  runner: { image: 'ghcr.io/lifeboat/lifeboat-runner:v0.1.0' },
  verify: true,
  missingReferenceGraceMs: 10 * MINUTE,
  recheckAfterMs: 15_000,
};

export interface BackupRunFixture {
  name?: string;
  spec?: Record<string, unknown>;
  status?: BackupRunStatus;
  created?: string;
  finalizers?: string[];
  deleting?: string;
  annotations?: Record<string, string>;
  ownedBySchedule?: boolean;
}

export function aBackupRun(fixture: BackupRunFixture = {}): BackupRun {
  const name = fixture.name ?? 'app-1735696800';
  return {
    apiVersion: 'lifeboat.dev/v1alpha1',
    kind: 'BackupRun',
    metadata: {
      name,
      namespace: 'prod',
      uid: `uid-${name}`,
      generation: 1,
      creationTimestamp: fixture.created ?? '2025-01-01T02:00:00Z',
      labels: { 'lifeboat.dev/schedule': 'app' },
      finalizers: fixture.finalizers ?? ['lifeboat.dev/artifacts'],
      ...(fixture.deleting ? { deletionTimestamp: fixture.deleting } : {}),
      ...(fixture.annotations ? { annotations: fixture.annotations } : {}),
      ...(fixture.ownedBySchedule === false
        ? {}
        : { ownerReferences: [{ apiVersion: 'lifeboat.dev/v1alpha1', kind: 'BackupSchedule', name: 'app', uid: 'uid-app', controller: true }] }),
    },
    spec: BackupRunSpec.parse(fixture.spec ?? { scheduleRef: { name: 'app' }, sources: [postgresSource], storage }),
    ...(fixture.status ? { status: fixture.status } : {}),
  };
}

export const allSecrets: ObservedSecret[] = [
  { name: 's3', keys: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] },
  { name: 'pg', keys: ['username', 'password'] },
  { name: 'uploads-s3', keys: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] },
];

export function observedRun(run: BackupRun, overrides: Partial<ObservedBackupRun> = {}): ObservedBackupRun {
  return {
    run,
    schedule: { name: 'app', uid: 'uid-app', spec: scheduleSpec(), deleting: false },
    jobs: [],
    secrets: allSecrets,
    ...overrides,
  };
}

const SHA = 'a'.repeat(64);

export const postgresResult = (overrides: Record<string, unknown> = {}): RunnerResult => ({
  ok: true,
  subcommand: 'postgres-backup',
  summary: {
    key: 'prod/prod/app/app-1735696800/db/database.dump.gz',
    manifestKey: 'prod/prod/app/app-1735696800/db/manifest.json',
    sizeBytes: 2048,
    sha256: SHA,
    encrypted: false,
    snapshotTime: '2025-01-01T02:00:10.123Z',
    tables: 3,
    rows: 42,
    ...overrides,
  },
});

export const failure = (reason: string, code = 'AuthenticationFailed'): RunnerResult => ({ ok: false, subcommand: 'postgres-backup', code, reason });

export const job = {
  pending: (name: string): ObservedJob => ({ name }),
  running: (name: string, start = '2025-01-01T02:00:05Z'): ObservedJob => ({ name, startTime: start, active: 1 }),
  complete: (name: string, result: RunnerResult | undefined, start = '2025-01-01T02:00:05Z', end = '2025-01-01T02:01:35Z'): ObservedJob => ({
    name,
    startTime: start,
    completionTime: end,
    succeeded: 1,
    conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: end }],
    result,
  }),
  failed: (name: string, result: RunnerResult | undefined, reason = 'BackoffLimitExceeded', end = '2025-01-01T02:03:00Z'): ObservedJob => ({
    name,
    startTime: '2025-01-01T02:00:05Z',
    failed: 3,
    conditions: [{ type: 'Failed', status: 'True', reason, message: 'Job has reached the specified backoff limit', lastTransitionTime: end }],
    result,
  }),
};

export const imported = (key: string) => ({ [Annotations.importedFrom]: key });
