// Catalog sync: runs found in the bucket come back as BackupRun objects with their status.
import { describe, expect, it } from '@jest/globals';
import type { RunManifest } from '../../contract/manifests.ts';
import { scheduleSpec } from '../testing/builders.ts';
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
