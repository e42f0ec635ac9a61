// Catalog sync: runs found in the bucket come back as BackupRun objects with their status.
import { describe, expect, it } from '@jest/globals';
import type { BackupRunStatus } from '../../api/index.ts';
import type { RunManifest, RunVerification } from '../../contract/manifests.ts';
import { decideBackupRun } from '../backup-run/decide-backup-run.ts';
import { config, observedRun, scheduleSpec } from '../testing/builders.ts';
import { kstatusOf } from '../testing/kstatus.ts';
import { catalogPrefix, catalogSyncDue, decideCatalogSync, type CatalogAction } from './catalog-sync.ts';

const schedule = { name: 'app', namespace: 'prod', uid: 'uid-app', spec: scheduleSpec() };
const now = new Date('2025-02-01T00:00:00Z');

function manifest(run: string, location: Partial<RunManifest['location']> = {}): { key: string; manifest: RunManifest } {
  return {
    key: `prod/prod/app/${run}/manifest.json`,
    manifest: {
      formatVersion: 1,
      location: { namespace: 'prod', schedule: 'app', run, ...location },
      completedAt: '2025-01-01T02:01:50.000Z',
      snapshotTime: '2025-01-01T02:00:08.000Z',
      totalSizeBytes: 2048,
      sources: [
        {
          name: 'db',
          kind: 'postgres',
          manifestKey: `prod/prod/app/${run}/db/manifest.json`,
          artifactKey: `prod/prod/app/${run}/db/database.dump.gz`,
          sizeBytes: 2048,
          sha256: 'a'.repeat(64),
          snapshotTime: '2025-01-01T02:00:08.000Z',
          encrypted: false,
        },
      ],
    },
  };
}

const names = (actions: CatalogAction[]) => actions.map((action) => (action.type === 'CreateBackupRun' ? `create ${action.run.metadata.name}` : action.type === 'WriteBackupRunStatus' ? `status ${action.name}` : action.event.reason));

describe('decideCatalogSync', () => {
  it('recreates the runs the cluster does not have, and only those', () => {
    const actions = decideCatalogSync(
      { schedule, manifests: [manifest('app-1735696800'), manifest('app-1735783200')], runs: [{ name: 'app-1735783200', imported: false, phase: 'Succeeded' }] },
      now,
    );
    expect(names(actions)).toEqual(['create app-1735696800', 'CatalogSynced']);
  });

  it('recreates a run owned by the schedule, marked imported, with only scheduleRef in spec', () => {
    const [create] = decideCatalogSync({ schedule, manifests: [manifest('app-1735696800')], runs: [] }, now);
    expect(create?.type === 'CreateBackupRun' && create.run).toMatchObject({
      metadata: {
        name: 'app-1735696800',
        namespace: 'prod',
        labels: { 'lifeboat.dev/schedule': 'app' },
        annotations: { 'lifeboat.dev/imported-from': 'prod/prod/app/app-1735696800/manifest.json', 'lifeboat.dev/scheduled-time': '2025-01-01T02:00:00Z' },
        ownerReferences: [{ kind: 'BackupSchedule', name: 'app', uid: 'uid-app', controller: true }],
      },
      spec: { scheduleRef: { name: 'app' }, deletionPolicy: 'Delete' },
    });
  });

  it('gives it the status the manifest tells: Succeeded, snapshot, size, artifacts', () => {
    const [create] = decideCatalogSync({ schedule, manifests: [manifest('app-1735696800')], runs: [] }, now);
    expect(create?.type === 'CreateBackupRun' && create.status).toMatchObject({
      phase: 'Succeeded',
      completionTime: '2025-01-01T02:01:50.000Z',
      snapshotTime: '2025-01-01T02:00:08.000Z',
      sizeBytes: 2048,
      size: '2 KiB',
      manifestKey: 'prod/prod/app/app-1735696800/manifest.json',
      resolved: { schedule: 'app', sources: [{ name: 'db' }], storage: { bucket: 'backups' } },
      artifacts: [{ source: 'db', type: 'Postgres', phase: 'Succeeded', key: 'prod/prod/app/app-1735696800/db/database.dump.gz', sha256: 'a'.repeat(64), encrypted: false }],
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'Complete', status: 'True', reason: 'Imported', lastTransitionTime: '2025-02-01T00:00:00Z' },
      ],
    });
  });

  it('writes the status of a run recreated earlier whose status write was lost', () => {
    const actions = decideCatalogSync({ schedule, manifests: [manifest('app-1735696800')], runs: [{ name: 'app-1735696800', imported: true }] }, now);
    expect(names(actions)).toEqual(['status app-1735696800']);
  });

  it('ignores manifests of other schedules or namespaces', () => {
    const actions = decideCatalogSync({ schedule, manifests: [manifest('other-1', { schedule: 'other' }), manifest('app-2', { namespace: 'staging' })], runs: [] }, now);
    expect(actions).toEqual([]);
  });
});

describe('decideCatalogSync and the stored read-back verdicts', () => {
  const verdict = (run: string, verified: boolean, code = 'ChecksumMismatch'): RunVerification => ({
    formatVersion: 1,
    location: { namespace: 'prod', schedule: 'app', run },
    verified,
    checkedAt: '2025-01-01T02:03:00.000Z',
    checked: verified ? ['db'] : [],
    ...(verified ? {} : { failure: { source: 'db', key: `prod/prod/app/${run}/db/database.dump.gz`, code, reason: `artifact s3://backups/prod/prod/app/${run}/db/database.dump.gz does not match its manifest` } }),
  });
  const statusOf = (actions: CatalogAction[], name: string) => {
    const action = actions.find((candidate) => candidate.type === 'CreateBackupRun' && candidate.run.metadata.name === name);
    if (action?.type !== 'CreateBackupRun') throw new Error(`no run ${name}`);
    return action.status;
  };
  const condition = (status: BackupRunStatus, type: string) => status.conditions?.find((c) => c.type === type);

  it('a run whose read-back failed comes back failed, as its own read-back leaves it: Succeeded, Verified False, Ready False, Stalled', () => {
    const actions = decideCatalogSync({ schedule, manifests: [{ ...manifest('app-1735696800'), verification: verdict('app-1735696800', false) }], runs: [] }, now);
    const status = statusOf(actions, 'app-1735696800');
    const message =
      'the read-back of 2025-01-01T02:03:00.000Z failed: source db: artifact s3://backups/prod/prod/app/app-1735696800/db/database.dump.gz does not match its manifest (verdict s3://backups/prod/prod/app/app-1735696800/verification.json)';
    expect(status.phase).toBe('Succeeded');
    expect(condition(status, 'Verified')).toEqual({ type: 'Verified', status: 'False', reason: 'ChecksumMismatch', message, observedGeneration: 1, lastTransitionTime: '2025-02-01T00:00:00Z' });
    expect(condition(status, 'Ready')).toMatchObject({ status: 'False', reason: 'ChecksumMismatch', message });
    expect(condition(status, 'Stalled')).toMatchObject({ status: 'True', reason: 'ChecksumMismatch' });
    expect(condition(status, 'Complete')).toMatchObject({ status: 'True', reason: 'Imported' });
    expect(kstatusOf({ metadata: { generation: 1 }, status })).toBe('Failed');
    expect(names(actions)).toEqual(['create app-1735696800', 'CatalogSynced']);
    const synced = actions.find((action) => action.type === 'RecordEvent');
    expect(synced?.type === 'RecordEvent' && synced.event.message).toContain('; 1 of them failed verification');
  });

  it('any other failure the verdict records reads VerificationFailed, as the run\'s own read-back would say', () => {
    const actions = decideCatalogSync({ schedule, manifests: [{ ...manifest('app-1735696800'), verification: verdict('app-1735696800', false, 'ManifestMissing') }], runs: [] }, now);
    expect(condition(statusOf(actions, 'app-1735696800'), 'Verified')).toMatchObject({ status: 'False', reason: 'VerificationFailed' });
  });

  it('a run whose read-back passed comes back Verified and Ready', () => {
    const actions = decideCatalogSync({ schedule, manifests: [{ ...manifest('app-1735696800'), verification: verdict('app-1735696800', true) }], runs: [] }, now);
    const status = statusOf(actions, 'app-1735696800');
    expect(condition(status, 'Verified')).toMatchObject({ status: 'True', reason: 'ChecksumsMatch' });
    expect(condition(status, 'Verified')?.message).toContain('read back 2025-01-01T02:03:00.000Z');
    expect(condition(status, 'Ready')).toMatchObject({ status: 'True' });
    expect(kstatusOf({ metadata: { generation: 1 }, status })).toBe('Current');
  });

  it('stays failed when the BackupRun controller looks at it next, and starts no read-back of its own', () => {
    const [create] = decideCatalogSync({ schedule, manifests: [{ ...manifest('app-1735696800'), verification: verdict('app-1735696800', false) }], runs: [] }, now);
    if (create?.type !== 'CreateBackupRun') throw new Error('no run created');
    const run = { ...create.run, metadata: { ...create.run.metadata, generation: 1, finalizers: ['lifeboat.dev/artifacts'] }, status: create.status };
    const decision = decideBackupRun(observedRun(run), new Date('2025-02-01T00:05:00Z'), config);
    expect(decision.statusChanged).toBe(false);
    expect(decision.actions.filter((action) => action.type === 'CreateJob')).toEqual([]);
    expect(kstatusOf({ metadata: { generation: 1 }, status: decision.status })).toBe('Failed');
  });

  it('a run without a verdict gets no Verified condition: nobody knows', () => {
    const status = statusOf(decideCatalogSync({ schedule, manifests: [manifest('app-1735696800')], runs: [] }, now), 'app-1735696800');
    expect(condition(status, 'Verified')).toBeUndefined();
    expect(condition(status, 'Ready')).toMatchObject({ status: 'True' });
  });

  it('writes the failed status of a run recreated earlier whose status write was lost', () => {
    const actions = decideCatalogSync({ schedule, manifests: [{ ...manifest('app-1735696800'), verification: verdict('app-1735696800', false) }], runs: [{ name: 'app-1735696800', imported: true }] }, now);
    const write = actions[0];
    expect(write?.type === 'WriteBackupRunStatus' && condition(write.status, 'Verified')).toMatchObject({ status: 'False' });
  });
});

describe('when and where catalog sync looks', () => {
  it('runs only for a schedule whose status was never written', () => {
    expect(catalogSyncDue(undefined)).toBe(true);
    expect(catalogSyncDue({})).toBe(true);
    expect(catalogSyncDue({ observedGeneration: 1 })).toBe(false);
  });

  it('lists under <prefix>/<namespace>/<schedule>/', () => {
    expect(catalogPrefix(schedule)).toBe('prod/prod/app/');
  });
});
