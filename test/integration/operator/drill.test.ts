// A disaster-recovery drill through the operator, end to end: a schedule backs up the database
// and a bucket; a drill declares the disaster, finds the backup through the bucket alone,
// restores it into new scratch targets, verifies it, measures the RTO and RPO, removes the
// scratch targets and leaves a report next to the backups.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { GetObjectCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { ok } from '../api/kubectl.ts';
import { adminClient } from '../runner/bucket-support.ts';
import { databaseExists, withDatabase } from '../runner/runner-harness.ts';
import { makeKubectl, Scene } from './support.ts';
import { createDrill, createDrillRun, drillPlan, finalDrillRun } from './drill-support.ts';

jest.setTimeout(420_000);

describe('a DRDrillRun against a good backup', () => {
  const kubectl = makeKubectl();
  let scene: Scene;
  let newestRow: Date;

  beforeAll(async () => {
    scene = await Scene.create('op-drill');
    await scene.startOperator();
    await scene.applySchedule({ name: 'app', schedule: '0 0 1 1 *', sources: ['app-db', 'uploads'] });
    // The newest row has a known time: the RPO is measured from it.
    newestRow = new Date(Math.floor(Date.now() / 1000) * 1000 - 90_000);
    await withDatabase(scene.fixture.database, async (client) => {
      await client.query("UPDATE diagrams SET updated_at = $1::timestamptz - interval '1 hour'", [newestRow]);
      await client.query('UPDATE diagrams SET updated_at = $1 WHERE id = 7', [newestRow]);
    });
    await scene.createManualRun('app-now', 'app');
    expect((await scene.finalRun('app-now')).status?.phase).toBe('Succeeded');
    await createDrill(scene.client, scene.namespace, 'weekly', { ...drillPlan('app'), suspend: true });
  });

  afterAll(() => scene?.tearDown());

  it('passes, with an RTO between the restore time and the wall time and an RPO from the freshness query, to the second', async () => {
    const plan = drillPlan('app', {
      verify: {
        sql: [{ name: 'diagrams-present', query: 'SELECT count(*) FROM diagrams', expect: { equals: '120' } }],
        freshness: { query: 'SELECT max(updated_at) FROM diagrams' },
      },
    });
    // A row written after the backup: it must not be in the restored copy, nor in the RPO.
    await withDatabase(scene.fixture.database, (client) => client.query("INSERT INTO diagrams (customer_id, title) VALUES (1, 'after the backup')"));
    const created = await createDrillRun(scene.client, scene.namespace, 'weekly-now', 'weekly', plan);
    const incident = new Date(created.metadata.creationTimestamp as string);
    const run = await finalDrillRun(scene.client, scene.namespace, 'weekly-now');
    const wall = new Date(run.status!.completionTime!).getTime() - incident.getTime();
    const status = run.status!;
    expect({ result: status.result, reason: status.reason, message: status.message }).toEqual({ result: 'Passed', reason: undefined, message: undefined });
    expect(status.backup?.run).toBe('app-now');
    expect(status.steps?.map((step) => [step.name, step.phase])).toEqual([
      ['SelectBackup', 'Succeeded'],
      ['Provision', 'Succeeded'],
      ['RestoreDatabase', 'Succeeded'],
      ['RestoreBuckets', 'Succeeded'],
      ['Verify', 'Succeeded'],
      ['Cleanup', 'Succeeded'],
    ]);
    expect(status.rto!.measuredSeconds!).toBeGreaterThanOrEqual(status.rto!.restoreSeconds!);
    expect(status.rto!.measuredSeconds! * 1000).toBeLessThanOrEqual(wall + 1000);
    expect(status.rpo).toMatchObject({ basis: 'Freshness', newestDataTime: newestRow.toISOString().replace('.000Z', 'Z'), met: true });
    expect(status.rpo!.measuredSeconds).toBe(Math.round((incident.getTime() - newestRow.getTime()) / 1000));
    expect(status.checks).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'diagrams-present', result: 'Passed' })]));
    expect(status.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'RTOMet', status: 'True' }), expect.objectContaining({ type: 'RPOMet', status: 'True' })]));

    // The scratch targets are gone.
    expect(status.scratch?.databases).toHaveLength(1);
    expect(status.scratch?.buckets).toHaveLength(1);
    expect(await databaseExists(status.scratch!.databases![0]!)).toBe(false);
    const s3 = adminClient();
    try {
      await expect(s3.send(new HeadBucketCommand({ Bucket: status.scratch!.buckets![0]! }))).rejects.toMatchObject({ name: 'NotFound' });
      // The report is next to the backups, and its SHA-256 is in status.
      const report = await s3.send(new GetObjectCommand({ Bucket: scene.fixture.backupBucket, Key: status.report!.markdownKey! }));
      const markdown = await report.Body!.transformToString('utf8');
      expect(createHash('sha256').update(markdown).digest('hex')).toBe(status.report!.markdownSha256);
      expect(markdown).toContain('weekly-now');
      expect(markdown).toContain(status.rto!.measured!);
    } finally {
      s3.destroy();
    }
  });

  it('shows the run in kubectl get and its events', async () => {
    const table = await ok(kubectl, ['get', 'drdrillruns', '-n', scene.namespace, 'weekly-now']);
    expect(table.split('\n')[0]).toMatch(/NAME\s+DRILL\s+RESULT\s+REASON\s+RTO\s+RPO\s+OBJECTIVES\s+AGE/);
    expect(table).toContain('Passed');
    expect(await scene.eventReasons('weekly-now', ['BackupSelected', 'StepStarted', 'DrillPassed', 'ReportWritten'])).toEqual(expect.arrayContaining(['BackupSelected', 'StepStarted', 'DrillPassed', 'ReportWritten']));
  });
});
