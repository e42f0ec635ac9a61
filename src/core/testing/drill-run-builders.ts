// Fixture builders for the DRDrillRun table tests: a run with its plan, the schedule's spec,
// run manifests as storage lists them, and runner results of the drill's steps.
import { DRDrillRunSpec, DrillPlan, type DRDrillRun, type DRDrillRunStatus } from '../../api/index.ts';
import type { RunManifest } from '../../contract/manifests.ts';
import type { RunnerResult } from '../job-set/index.ts';
import type { DrillRunConfig, ObservedDrillRun, StoredManifest } from '../drill-run/types.ts';
import { scheduleSpec, storage } from './builders.ts';

export const drillConfig: DrillRunConfig = {
  runner: { image: 'ghcr.io/lifeboat/lifeboat-runner:v0.1.0' },
  missingReferenceGraceMs: 10 * 60_000,
  recheckAfterMs: 15_000,
  operatorVersion: '0.1.0',
};

export const RUN = 'weekly-1735722000';
/** The run's creation: the declared incident. */
export const INCIDENT = '2025-01-01T09:00:00Z';

export function aPlan(overrides: Record<string, unknown> = {}): DrillPlan {
  return DrillPlan.parse({
    scheduleRef: { name: 'app' },
    scenario: 'CompleteFailure',
    objectives: { rto: '1h', rpo: '24h' },
    scratch: {
      postgres: { host: 'scratch-db', connectionSecret: { name: 'scratch-pg' } },
      s3: { endpoint: 'http://scratch-minio:9000', credentialsSecret: { name: 'scratch-s3' } },
    },
    verify: { sql: [{ name: 'customers', query: 'SELECT count(*) FROM customers', expect: { atLeast: 1 } }], freshness: { query: 'SELECT max(updated_at) FROM diagrams' } },
    ...overrides,
  });
}

export function aDrillRun(fixture: { plan?: DrillPlan; status?: DRDrillRunStatus; finalizers?: string[]; deleting?: string } = {}): DRDrillRun {
  return {
    apiVersion: 'lifeboat.dev/v1alpha1',
    kind: 'DRDrillRun',
    metadata: {
      name: RUN,
      namespace: 'prod',
      uid: 'abcd1234-uid',
      generation: 1,
      creationTimestamp: INCIDENT,
      finalizers: fixture.finalizers ?? ['lifeboat.dev/drill-cleanup'],
      ...(fixture.deleting ? { deletionTimestamp: fixture.deleting } : {}),
    },
    spec: DRDrillRunSpec.parse({ drillRef: { name: 'weekly' }, plan: fixture.plan ?? aPlan() }),
    ...(fixture.status ? { status: fixture.status } : {}),
  };
}

/**
 * A run manifest as storage lists it; `verified` adds the read-back verdict stored next to it
 * (false: the db artifact's checksum did not match), read back an hour after the snapshot.
 */
export function aManifest(run: string, snapshotTime: string, options: { encrypted?: boolean; sources?: RunManifest['sources']; verified?: boolean } = {}): StoredManifest {
  const source = (name: string, kind: 'postgres' | 'bucket', size: number) => ({
    name,
    kind,
    manifestKey: `prod/prod/app/${run}/${name}/manifest.json`,
    artifactKey: `prod/prod/app/${run}/${name}/artifact`,
    sizeBytes: size,
    sha256: 'c'.repeat(64),
    snapshotTime,
    encrypted: options.encrypted ?? false,
  });
  const location = { namespace: 'prod', schedule: 'app', run };
  const checkedAt = new Date(Date.parse(snapshotTime) + 3_600_000).toISOString();
  const failure = { source: 'db', key: `prod/prod/app/${run}/db/artifact`, code: 'ChecksumMismatch', reason: `artifact s3://backups/prod/prod/app/${run}/db/artifact does not match its manifest` };
  return {
    key: `prod/prod/app/${run}/manifest.json`,
    manifest: {
      formatVersion: 1,
      location,
      completedAt: snapshotTime,
      snapshotTime,
      totalSizeBytes: 3000,
      sources: options.sources ?? [source('db', 'postgres', 2000), source('files', 'bucket', 1000)],
    },
    ...(options.verified === undefined
      ? {}
      : { verification: { formatVersion: 1, location, verified: options.verified, checkedAt, checked: options.verified ? ['db', 'files'] : [], ...(options.verified ? {} : { failure }) } }),
  };
}

export const drillSecrets = [
  { name: 's3', keys: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] },
  { name: 'scratch-pg', keys: ['username', 'password'] },
  { name: 'scratch-s3', keys: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] },
];

export function observedDrillRun(run: DRDrillRun, overrides: Partial<ObservedDrillRun> = {}): ObservedDrillRun {
  return {
    run,
    schedule: { name: 'app', spec: scheduleSpec({ storage }) },
    catalog: { entries: [aManifest('app-1', '2025-01-01T02:00:00Z'), aManifest('app-0', '2024-12-31T02:00:00Z')] },
    jobs: [],
    secrets: drillSecrets,
    ...overrides,
  };
}

export const ok = (subcommand: string, summary: Record<string, unknown> = {}): RunnerResult => ({ ok: true, subcommand, summary });

export const checksPassed = (freshness = '2025-01-01T01:59:30Z'): RunnerResult =>
  ok('drill-check', {
    passed: true,
    checks: [
      { name: 'customers', type: 'Sql', ok: true, expected: '>= 1', actual: '25' },
      { name: 'row-counts', type: 'RowCount', ok: true, expected: '3 tables', actual: '3 tables match' },
      { name: 'freshness', type: 'Freshness', ok: true, actual: freshness },
    ],
    freshness,
  });

export const bucketChecked = (): RunnerResult => ok('bucket-check', { passed: true, objectCount: { expected: 5, actual: 5 }, checked: 5, mismatches: [], missing: 0, extra: 0 });
