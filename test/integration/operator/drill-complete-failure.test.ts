// CompleteFailure: the cluster's record of the backups is gone, as if the cluster were lost.
// Every BackupRun of the namespace is deleted (deletionPolicy Retain, so the artifacts stay in
// the bucket, as they would after losing the cluster); the drill finds the newest backup from
// the run manifests in object storage alone, restores every source of it into scratch targets
// and verifies the data.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { BACKUP_RUNS, BACKUP_SCHEDULES } from '../../../src/controllers/resource-types.ts';
import { createDrill, createDrillRun, drillPlan, finalDrillRun } from './drill-support.ts';
import { DEFAULT_LEASE, existingScratch } from './drill-scratch.ts';
import { Scene, waitFor } from './support.ts';

jest.setTimeout(420_000);

describe('a CompleteFailure drill with every BackupRun deleted', () => {
  let scene: Scene;
  const manifestKeys: Record<string, string> = {};

  beforeAll(async () => {
    scene = await Scene.create('op-drill-cf');
    await scene.startOperator({ env: DEFAULT_LEASE });
    // All four sources: the database and the three buckets.
    await scene.applySchedule({ name: 'app', schedule: '0 0 1 1 *' });
    for (const name of ['app-older', 'app-newer']) {
      await scene.createManualRun(name, 'app', { deletionPolicy: 'Retain' });
      const run = await scene.finalRun(name);
      expect(run.status?.phase).toBe('Succeeded');
      manifestKeys[name] = run.status!.manifestKey!;
    }
    await scene.client.mergePatch(BACKUP_SCHEDULES, scene.namespace, 'app', { spec: { suspend: true } });
    for (const name of await scene.runNames()) await scene.client.delete(BACKUP_RUNS, scene.namespace, name);
    await waitFor(async () => (await scene.runs()).length === 0, { what: 'every BackupRun to be gone', timeoutMs: 60_000, intervalMs: 500 });
    // Retain: the backups are still in the bucket.
    expect(await scene.objectsOf('app', 'app-newer')).toContain('manifest.json');
    await createDrill(scene.client, scene.namespace, 'weekly', { ...drillPlan('app'), suspend: true });
  });

  afterAll(() => scene?.tearDown());

  it('passes from the newest backup found in storage, every source restored and verified', async () => {
    const plan = drillPlan('app', {
      scenario: 'CompleteFailure',
      verify: { sql: [{ name: 'diagrams-present', query: 'SELECT count(*) FROM diagrams', expect: { equals: '120' } }] },
    });
    await createDrillRun(scene.client, scene.namespace, 'lost-cluster', 'weekly', plan);
    const run = await finalDrillRun(scene.client, scene.namespace, 'lost-cluster');
    const status = run.status!;
    expect({ result: status.result, reason: status.reason, message: status.message }).toEqual({ result: 'Passed', reason: undefined, message: undefined });
    // Still no BackupRun: the drill read none, and made none.
    expect(await scene.runNames()).toEqual([]);

    expect(status.backup).toMatchObject({
      run: 'app-newer',
      manifestKey: manifestKeys['app-newer'],
      sources: [
        { name: 'app-db', kind: 'Postgres' },
        { name: 'diagrams', kind: 'Bucket' },
        { name: 'exports', kind: 'Bucket' },
        { name: 'uploads', kind: 'Bucket' },
      ],
    });
    // Both backups were found through their manifests.
    expect(status.deliveredRpo?.backupsConsidered).toBe(2);
    expect(status.steps?.map((step) => [step.name, step.phase])).toEqual([
      ['SelectBackup', 'Succeeded'],
      ['Provision', 'Succeeded'],
      ['RestoreDatabase', 'Succeeded'],
      ['RestoreBuckets', 'Succeeded'],
      ['Verify', 'Succeeded'],
      ['Cleanup', 'Succeeded'],
    ]);

    // The data was verified: the SQL check, every table's row count, the schema objects, and
    // each bucket's objects against the manifest.
    const checks = status.checks ?? [];
    expect(checks.filter((check) => check.result !== 'Passed')).toEqual([]);
    expect(status.checksSummary).toEqual({ passed: checks.length, failed: 0 });
    const shown = (type: string, source: string, name: string) => checks.find((check) => check.type === type && check.source === source && check.name === name);
    expect(shown('Sql', 'app-db', 'diagrams-present')).toMatchObject({ result: 'Passed', expected: '"120"', actual: '"120"' });
    expect(shown('RowCount', 'app-db', 'row-counts')).toMatchObject({ result: 'Passed', expected: "3 tables as in the backup's snapshot", actual: '3 match, 0 differ' });
    expect(shown('SchemaObjects', 'app-db', 'schema-objects')).toMatchObject({ result: 'Passed' });
    for (const source of ['diagrams', 'exports', 'uploads']) {
      expect(shown('ObjectCount', source, `${source} object count`)).toMatchObject({ result: 'Passed', expected: '5', actual: '5' });
      expect(shown('Checksum', source, `${source} checksums`)).toMatchObject({ result: 'Passed', actual: 'all match' });
    }

    expect(status.scratch?.databases).toHaveLength(1);
    expect(status.scratch?.buckets).toHaveLength(3);
    expect(await existingScratch(run)).toEqual({ databases: [], buckets: [] });
  });
});
