// The backup story end to end: a schedule fires on its cron, its run backs up a database and
// three buckets through runner Jobs, the artifacts, manifests and the read-back's verdict land in the bucket, status and
// printer columns show them, and deleting the run removes its objects.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { RunningOperator } from '../../../src/operator/operator.ts';
import { ok } from '../api/kubectl.ts';
import { BACKUP_RUNS, BACKUP_SCHEDULES, makeKubectl, Scene, waitFor, type RunObject } from './support.ts';

jest.setTimeout(240_000);

describe('a BackupSchedule that fires every minute', () => {
  const kubectl = makeKubectl();
  let scene: Scene;
  let operator: RunningOperator;
  let run: RunObject;

  beforeAll(async () => {
    scene = await Scene.create('op-sched');
    operator = await scene.startOperator();
    await scene.applySchedule({ name: 'app', schedule: '* * * * *' });
  });

  afterAll(() => scene?.tearDown());

  it('creates a run at the next minute that succeeds with one artifact per source', async () => {
    const first = await waitFor(async () => (await scene.runs())[0], { what: 'the schedule to fire', timeoutMs: 75_000, intervalMs: 1_000 });
    expect(first.metadata.name).toMatch(/^app-\d{10}$/);
    run = await scene.finalRun(first.metadata.name!);
    expect(run.status?.phase).toBe('Succeeded');
    expect(run.status?.artifacts?.map((artifact) => [artifact.source, artifact.phase])).toEqual([
      ['app-db', 'Succeeded'],
      ['diagrams', 'Succeeded'],
      ['exports', 'Succeeded'],
      ['uploads', 'Succeeded'],
    ]);
    for (const artifact of run.status?.artifacts ?? []) {
      expect(artifact.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(artifact.sizeBytes).toBeGreaterThan(0);
    }
    expect(run.status?.sizeBytes).toBe((run.status?.artifacts ?? []).reduce((sum, artifact) => sum + (artifact.sizeBytes ?? 0), 0));
    expect(run.status?.snapshotTime).toBeDefined();
    expect(run.status?.manifestKey).toBe(`backups/${scene.namespace}/app/${run.metadata.name}/manifest.json`);
    expect(run.status?.conditions?.find((condition) => condition.type === 'Complete')?.status).toBe('True');
  });

  it('wrote every artifact and its manifest, the run manifest, and the read-back\'s verdict to the bucket', async () => {
    const prefix = `backups/${scene.namespace}/app/${run.metadata.name}/`;
    // The verdict comes last, from the verify Job: wait for the read-back to end first.
    await scene.verifiedRun(run.metadata.name!);
    expect(await scene.objectsOf('app', run.metadata.name!)).toEqual([
      'app-db/database.dump.zst',
      'app-db/manifest.json',
      'diagrams/bucket.tar.zst',
      'diagrams/manifest.json',
      'exports/bucket.tar.zst',
      'exports/manifest.json',
      'manifest.json',
      'uploads/bucket.tar.zst',
      'uploads/manifest.json',
      'verification.json',
    ]);
    expect(run.status?.artifacts?.map((artifact) => artifact.key)).toEqual(
      ['app-db/database.dump.zst', 'diagrams/bucket.tar.zst', 'exports/bucket.tar.zst', 'uploads/bucket.tar.zst'].map((key) => `${prefix}${key}`),
    );
  });

  it('ran one Job per source plus finalize and verify, and recorded what happened as events', async () => {
    const jobs = await scene.jobsOf(run.metadata.name!);
    expect(jobs.map((job) => job.metadata.name).sort()).toEqual(
      ['app-db', 'diagrams', 'exports', 'uploads', '-finalize', '-verify'].map((suffix) => `${run.metadata.name}-${suffix}`).sort(),
    );
    const verified = await waitFor(async () => {
      const current = await scene.run(run.metadata.name!);
      return current?.status?.conditions?.find((condition) => condition.type === 'Verified' && condition.status !== 'Unknown');
    }, { what: 'the run to be verified', timeoutMs: 60_000 });
    expect(verified.status).toBe('True');
    expect(await scene.eventReasons(run.metadata.name!)).toEqual(expect.arrayContaining(['JobCreated']));
  });

  it('shows the run in the schedule status, the printer columns and the metrics', async () => {
    const schedule = await waitFor(async () => {
      const current = await scene.client.get<{ metadata: object; status?: { lastSuccessfulRun?: { name: string }; conditions?: { type: string; status: string }[] } }>(BACKUP_SCHEDULES, scene.namespace, 'app');
      return current.status?.lastSuccessfulRun?.name ? current : undefined;
    }, { what: 'the schedule status to name the successful run' });
    expect(schedule.status?.conditions?.find((condition) => condition.type === 'Ready')?.status).toBe('True');

    const table = await ok(kubectl, ['get', 'backupruns', '-n', scene.namespace, run.metadata.name!]);
    expect(table.split('\n')[0]).toMatch(/NAME\s+SCHEDULE\s+PHASE\s+SIZE\s+DURATION\s+AGE/);
    expect(table).toContain('Succeeded');
    expect(table).toContain(run.status?.size);

    const metrics = await (await fetch(`${operator.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`lifeboat_backup_last_success_timestamp_seconds\\{namespace="${scene.namespace}",schedule="app"\\} \\d+`));
    expect(metrics).toMatch(new RegExp(`lifeboat_backup_last_size_bytes\\{namespace="${scene.namespace}",schedule="app"\\} ${run.status?.sizeBytes}`));
  });

  it('deletes the run\'s objects from the bucket when the run is deleted', async () => {
    // Stop firing first, so no new run writes into the bucket meanwhile.
    await scene.client.mergePatch(BACKUP_SCHEDULES, scene.namespace, 'app', { spec: { suspend: true } });
    await scene.client.delete(BACKUP_RUNS, scene.namespace, run.metadata.name!);
    await waitFor(async () => !(await scene.run(run.metadata.name!)), { what: 'the run to be gone', timeoutMs: 60_000 });
    expect(await scene.objectsOf('app', run.metadata.name!)).toEqual([]);
  });
});
