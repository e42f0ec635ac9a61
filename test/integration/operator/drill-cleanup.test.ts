// What a drill leaves behind on the scratch servers, looked up on the servers themselves (every
// database and bucket with the run's scratch prefix, not only what status lists). Cleanup
// Always removes the scratch targets after a failed drill and after a running drill is deleted
// (the finalizer stops the restore first, then drops them); OnSuccess keeps them after a failure,
// lists them in status and in an event, and they really hold the restored data. After a passed
// drill they are gone too: drill.test.ts shows that.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DR_DRILL_RUNS } from '../../../src/controllers/resource-types.ts';
import { EVENTS } from '../../../src/kube/resource-type.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import { withDatabase } from '../../support/backup-fixture.ts';
import { testEnv } from '../../support/env.ts';
import { createDrill, createDrillRun, drillPlan, finalDrillRun, getDrillRun, type DrillRunObject } from './drill-support.ts';
import {
  applyBigDatabaseSchedule,
  DEFAULT_LEASE,
  drillJobs,
  dropDatabase,
  dropScratch,
  existingScratch,
  objectCount,
  runningStepJob,
  scratchPrefixes,
} from './drill-scratch.ts';
import { Scene, waitFor } from './support.ts';

jest.setTimeout(480_000);

/** Enough rows that the restore (table data, then two text indexes) runs for several seconds (about ten on the test machine). */
const BIG_ROWS = 500_000;

interface EventObject extends KubeObject {
  type?: string;
  reason?: string;
  note?: string;
  regarding?: { name?: string; kind?: string };
}

/** A check no backup of the fixture meets: the diagrams table has 120 rows. */
const failingCheck = { sql: [{ name: 'diagrams-count', query: 'SELECT count(*) FROM diagrams', expect: { equals: '999' } }] };

describe('the scratch targets of a drill', () => {
  let scene: Scene;
  let bigDatabase: string | undefined;

  const eventsOf = async (name: string) =>
    (await scene.client.list<EventObject>(EVENTS, { namespace: scene.namespace })).items.filter((event) => event.regarding?.kind === 'DRDrillRun' && event.regarding?.name === name);

  /** The names in status carry the run's prefix (so that the prefix search means something). */
  const expectNamedByPrefix = (run: DrillRunObject) => {
    const prefixes = scratchPrefixes(run);
    for (const name of run.status?.scratch?.databases ?? []) expect(name.startsWith(prefixes.database)).toBe(true);
    for (const name of run.status?.scratch?.buckets ?? []) expect(name.startsWith(prefixes.bucket)).toBe(true);
  };

  beforeAll(async () => {
    scene = await Scene.create('op-drill-clean');
    // The big database first: writing it slows the API server, the operator need not wait through that.
    bigDatabase = await applyBigDatabaseSchedule(scene, 'big', BIG_ROWS, ['app-db', 'uploads']);
    await scene.applySchedule({ name: 'app', schedule: '0 0 1 1 *', sources: ['app-db', 'uploads'] });
    await scene.startOperator({ env: DEFAULT_LEASE });
    await scene.createManualRun('app-now', 'app');
    await scene.createManualRun('big-now', 'big');
    expect((await scene.finalRun('app-now')).status?.phase).toBe('Succeeded');
    expect((await scene.finalRun('big-now', 240_000)).status?.phase).toBe('Succeeded');
    await createDrill(scene.client, scene.namespace, 'weekly', { ...drillPlan('app'), suspend: true });
  });

  afterAll(async () => {
    await scene?.tearDown();
    if (bigDatabase) await dropDatabase(bigDatabase);
  });

  it('Always: are gone after a failed drill', async () => {
    await createDrillRun(scene.client, scene.namespace, 'failed-always', 'weekly', drillPlan('app', { verify: failingCheck }));
    const run = await finalDrillRun(scene.client, scene.namespace, 'failed-always');
    const status = run.status!;
    expect({ result: status.result, reason: status.reason }).toEqual({ result: 'Failed', reason: 'CheckFailed' });
    expect(status.message).toBe('1 check(s) failed: diagrams-count (expected "999", found "120")');
    expect(status.checks).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'diagrams-count', type: 'Sql', result: 'Failed', expected: '"999"', actual: '"120"' })]));
    expect(status.steps?.map((step) => [step.name, step.phase])).toEqual([
      ['SelectBackup', 'Succeeded'],
      ['Provision', 'Succeeded'],
      ['RestoreDatabase', 'Succeeded'],
      ['RestoreBuckets', 'Succeeded'],
      ['Verify', 'Failed'],
      ['Cleanup', 'Succeeded'],
    ]);
    expect(status.scratch?.databases).toHaveLength(1);
    expect(status.scratch?.buckets).toHaveLength(1);
    expect(status.scratch?.leftBehind).toBeUndefined();
    expectNamedByPrefix(run);
    expect(await existingScratch(run)).toEqual({ databases: [], buckets: [] });
    expect((await eventsOf('failed-always')).map((event) => event.reason)).not.toContain('ScratchLeftBehind');
  });

  it('OnSuccess: are kept after a failed drill, listed in status and in an event, and hold the restored data', async () => {
    const plan = drillPlan('app', { verify: failingCheck });
    await createDrillRun(scene.client, scene.namespace, 'failed-kept', 'weekly', { ...plan, scratch: { ...plan.scratch, cleanup: 'OnSuccess' } });
    const run = await finalDrillRun(scene.client, scene.namespace, 'failed-kept');
    const status = run.status!;
    const scratch = { databases: status.scratch?.databases ?? [], buckets: status.scratch?.buckets ?? [] };
    try {
      expect({ result: status.result, reason: status.reason }).toEqual({ result: 'Failed', reason: 'CheckFailed' });
      expect(scratch.databases).toHaveLength(1);
      expect(scratch.buckets).toHaveLength(1);
      expectNamedByPrefix(run);
      const [database] = scratch.databases;
      const [bucket] = scratch.buckets;
      expect(status.scratch?.leftBehind).toEqual([`${database} (cleanup OnSuccess)`, `${bucket} (cleanup OnSuccess)`]);
      expect(status.steps?.find((step) => step.name === 'Cleanup')).toMatchObject({ phase: 'Skipped', message: `cleanup policy OnSuccess and the drill failed: kept ${database}, ${bucket}` });
      const left = await waitFor(async () => {
        const found = (await eventsOf('failed-kept')).filter((event) => event.reason === 'ScratchLeftBehind');
        return found.length > 0 ? found : undefined;
      }, { what: 'the ScratchLeftBehind event', timeoutMs: 30_000, intervalMs: 500 });
      expect(left).toHaveLength(1);
      expect(left[0]).toMatchObject({ type: 'Warning' });
      expect(left[0]!.note).toContain(database);
      expect(left[0]!.note).toContain(bucket);
      // No cleanup Job ran.
      expect((await drillJobs(scene, 'failed-kept')).filter((job) => job.metadata.labels?.['lifeboat.dev/step'] === 'cleanup')).toEqual([]);

      // They really exist, with what the drill restored into them.
      expect(await existingScratch(run)).toEqual({ databases: [database], buckets: [bucket] });
      const diagrams = await withDatabase(testEnv(), database!, async (client) => (await client.query<{ n: string }>('SELECT count(*) AS n FROM diagrams')).rows[0]?.n);
      expect(diagrams).toBe('120');
      expect(await objectCount(bucket!)).toBe(5);
    } finally {
      await dropScratch(scratch);
    }
    expect(await existingScratch(run)).toEqual({ databases: [], buckets: [] });
  });

  it('Always: are gone after the drill is deleted while its restore runs, and so are the run and its Jobs', async () => {
    await createDrillRun(scene.client, scene.namespace, 'deleted', 'weekly', drillPlan('big'));
    const restoreJob = await runningStepJob(scene, 'deleted', 'restore', 'app-db');
    const running = (await getDrillRun(scene.client, scene.namespace, 'deleted'))!;
    expect(running.status?.steps?.find((step) => step.name === 'RestoreDatabase')?.phase).toBe('Running');
    expect(running.status?.scratch?.databases).toHaveLength(1);
    expect(running.status?.scratch?.buckets).toHaveLength(1);
    expectNamedByPrefix(running);
    // The scratch database and bucket exist now, the restore writing into the database.
    expect(await existingScratch(running)).toEqual({ databases: running.status!.scratch!.databases, buckets: running.status!.scratch!.buckets });

    await scene.client.delete(DR_DRILL_RUNS, scene.namespace, 'deleted');
    await waitFor(async () => !(await getDrillRun(scene.client, scene.namespace, 'deleted')), { what: 'the deleted DRDrillRun to be gone', timeoutMs: 120_000, intervalMs: 500 });
    // Its Jobs go with it (garbage collection of the dependents).
    await waitFor(async () => (await drillJobs(scene, 'deleted')).length === 0, { what: 'the Jobs of the deleted run to be gone', timeoutMs: 60_000, intervalMs: 500 });
    expect(await existingScratch(running)).toEqual({ databases: [], buckets: [] });

    // The restore was stopped, not waited for: its step failed because of the deletion, and the
    // cleanup Jobs dropped the database and the bucket.
    const notes = await waitFor(async () => {
      const found = (await eventsOf('deleted')).map((event) => `${event.reason}: ${event.note}`);
      return found.some((note) => note.startsWith('StepSucceeded: Cleanup')) ? found : undefined;
    }, { what: 'the events of the deleted run', timeoutMs: 30_000, intervalMs: 500 });
    expect(notes).toContain('StepFailed: RestoreDatabase failed: stopped: the DRDrillRun was deleted');
    expect(notes).toEqual(expect.arrayContaining([expect.stringMatching(/^StepStarted: Cleanup: started 2 Job/), expect.stringMatching(/^StepSucceeded: Cleanup took /)]));
    expect(restoreJob.metadata.name).toBe('deleted-restore-app-db');
  });
});
