// A recurring DRDrill against the in-memory API server: it fires once per cron time, keeps
// historyLimit finished runs, its metrics come from the caches, and a pass that finds nothing
// changed writes nothing. The test plays the DRDrillRun controller (it writes the runs' status).
import { afterEach, describe, expect, it } from '@jest/globals';
import { drillSpec, runStatus } from '../../core/testing/drill-builders.ts';
import { scheduleSpec } from '../../core/testing/builders.ts';
import type { KubeObject } from '../../kube/types.ts';
import { memoryCluster, reconcileUntilQuiet, type MemoryCluster } from '../../runtime/testing/memory-cluster.ts';
import { BACKUP_SCHEDULES, DR_DRILL_RUNS, DR_DRILLS } from '../resource-types.ts';
import { reconcileDrill } from './controller.ts';
import { drillMetrics } from './metrics.ts';
import { drillInformers, type StoredDrill, type StoredDrillRun } from './observe.ts';

const NAMESPACE = 'prod';
const DAY = 86_400_000;
// 04:00 UTC on Sunday 5 January 2025, in Unix seconds: the first firing.
const FIRST = 1736049600;

let cluster: MemoryCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function drillCluster() {
  // Ten minutes before the first firing; the drill runs daily at 04:00 and keeps two runs.
  cluster = memoryCluster({ now: new Date('2025-01-05T03:50:00Z') });
  const { client, context } = cluster;
  const informers = drillInformers(context.informers);
  drillMetrics(context.metrics.registry, context.metrics.prefix, informers);
  client.set(BACKUP_SCHEDULES, { metadata: { name: 'app', namespace: NAMESPACE, uid: 'uid-app' }, spec: scheduleSpec() } as KubeObject);
  client.set(DR_DRILLS, {
    apiVersion: 'lifeboat.dev/v1alpha1',
    kind: 'DRDrill',
    metadata: { name: 'daily', namespace: NAMESPACE, uid: 'uid-daily', generation: 1, creationTimestamp: '2025-01-05T03:00:00Z' },
    spec: drillSpec({ schedule: '0 4 * * *', historyLimit: 2 }),
  } as KubeObject);
  await cluster.sync();
  const request = cluster.request(NAMESPACE, 'daily');
  return { ...cluster, informers, reconcile: () => reconcileDrill(context, informers, request) };
}

type Drill = Awaited<ReturnType<typeof drillCluster>>;

const summary = (write: { method: string; type: { kind: string }; name?: string | undefined; body?: unknown }) =>
  write.type.kind === 'Event' ? `event ${(write.body as { reason: string }).reason}` : `${write.method} ${write.type.kind} ${write.name ?? ''}`.trim();

async function writesOfOneMorePass(drill: Drill) {
  const before = drill.client.writes.length;
  await drill.reconcile();
  return drill.client.writes.slice(before);
}

function runNames(drill: Drill): string[] {
  return drill.informers.runs
    .list(NAMESPACE)
    .map((run) => run.metadata.name ?? '')
    .sort();
}

/** The DRDrillRun controller's part: the run starts, then finishes `minutes` later. */
function finishRun(drill: Drill, name: string, result: 'Passed' | 'Failed', start: string, end: string): void {
  const run = drill.client.peek<StoredDrillRun>(DR_DRILL_RUNS, NAMESPACE, name)!;
  drill.client.set(DR_DRILL_RUNS, { ...run, status: runStatus(result, start, end) });
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

describe('DRDrill reconcile', () => {
  it('fires once per cron time, keeps historyLimit finished runs, and writes nothing when nothing changed', async () => {
    const drill = await drillCluster();
    const first = await reconcileUntilQuiet(drill.client, drill.reconcile);
    expect(first.writes.map(summary)).toEqual(['patchStatus DRDrill daily']);
    expect(drill.client.peek<StoredDrill>(DR_DRILLS, NAMESPACE, 'daily')?.status).toMatchObject({ nextRunTime: iso(FIRST), conditions: [{ type: 'Ready', status: 'True' }] });
    expect(first.result.requeueAfterMs).toBe(10 * 60_000);
    expect(await writesOfOneMorePass(drill)).toEqual([]);

    await drill.clock.advance(10 * 60_000);
    for (let day = 0; day < 4; day++) {
      const due = FIRST + day * 86_400;
      const fired = await reconcileUntilQuiet(drill.client, drill.reconcile);
      expect(fired.writes.map(summary)).toEqual([`create DRDrillRun daily-${due}`, 'event RunCreated', 'patchStatus DRDrill daily']);
      const run = drill.client.peek<StoredDrillRun>(DR_DRILL_RUNS, NAMESPACE, `daily-${due}`)!;
      expect(run.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'DRDrill', name: 'daily', uid: 'uid-daily', controller: true })]);
      expect(run.spec.plan?.scenario).toBe('DatabaseLoss');
      expect(await writesOfOneMorePass(drill)).toEqual([]);

      // The run passes 40 minutes later; the drill takes note once, and prunes beyond two.
      await drill.clock.advance(40 * 60_000);
      finishRun(drill, `daily-${due}`, 'Passed', iso(due + 2), iso(due + 40 * 60));
      const noted = await reconcileUntilQuiet(drill.client, drill.reconcile);
      const pruned = day >= 2 ? [`delete DRDrillRun daily-${due - 2 * 86_400}`, 'event RunPruned'] : [];
      expect(noted.writes.map(summary)).toEqual([...pruned, 'event DrillPassed', 'patchStatus DRDrill daily']);
      expect(await writesOfOneMorePass(drill)).toEqual([]);
      expect(runNames(drill)).toEqual([...(day >= 1 ? [`daily-${due - 86_400}`] : []), `daily-${due}`]);

      // Nothing until the next firing, however often it looks.
      await drill.clock.advance(DAY / 2);
      expect(await writesOfOneMorePass(drill)).toEqual([]);
      await drill.clock.advance(DAY / 2 - 40 * 60_000);
    }

    const status = drill.client.peek<StoredDrill>(DR_DRILLS, NAMESPACE, 'daily')?.status;
    const last = FIRST + 3 * 86_400;
    expect(status).toMatchObject({
      lastScheduleTime: iso(last),
      latest: { name: `daily-${last}`, result: 'Passed', rto: '39m', rpo: '2h11m', objectives: 'Met' },
      lastPassedTime: iso(last + 40 * 60),
    });
    expect(status?.active).toBeUndefined();
    expect(status?.conditions?.find((c) => c.type === 'LastRunPassed')).toMatchObject({ status: 'True', lastTransitionTime: iso(FIRST + 40 * 60) });

    const metrics = await drill.context.metrics.registry.metrics();
    const labels = '{namespace="prod",drill="daily"}';
    expect(metrics).toContain(`lifeboat_drill_last_result${labels} 1`);
    expect(metrics).toContain(`lifeboat_drill_rto_seconds${labels} 2340`);
    expect(metrics).toContain(`lifeboat_drill_rpo_seconds${labels} 7860`);
    expect(metrics).toContain(`lifeboat_drill_last_passed_timestamp_seconds${labels} ${last + 40 * 60}`);
    expect(metrics).toContain(`lifeboat_drill_duration_seconds${labels} ${40 * 60 - 2}`);
    expect(metrics).toContain('lifeboat_drill_runs{namespace="prod",drill="daily",result="Passed"} 2');
  });

  it('a run in progress holds the next firing back, and the drill is not Ready without its BackupSchedule', async () => {
    const drill = await drillCluster();
    await drill.clock.advance(10 * 60_000);
    await reconcileUntilQuiet(drill.client, drill.reconcile);
    drill.client.set(DR_DRILL_RUNS, { ...drill.client.peek<StoredDrillRun>(DR_DRILL_RUNS, NAMESPACE, `daily-${FIRST}`)!, status: runStatus('Running', iso(FIRST + 2)) });
    expect((await reconcileUntilQuiet(drill.client, drill.reconcile)).writes.map(summary)).toEqual(['patchStatus DRDrill daily']);

    // A day later it still runs: no second run, nothing written at the due time nor after.
    await drill.clock.advance(DAY);
    const held = await reconcileUntilQuiet(drill.client, drill.reconcile);
    expect(held.writes.map(summary)).toEqual([]);
    expect(runNames(drill)).toEqual([`daily-${FIRST}`]);
    expect(drill.client.peek<StoredDrill>(DR_DRILLS, NAMESPACE, 'daily')?.status).toMatchObject({ active: `daily-${FIRST}`, nextRunTime: iso(FIRST + 86_400) });

    drill.client.remove(BACKUP_SCHEDULES, NAMESPACE, 'app');
    const missing = await reconcileUntilQuiet(drill.client, drill.reconcile);
    expect(missing.writes.map(summary)).toEqual(['event ScheduleNotFound', 'patchStatus DRDrill daily']);
    expect(await writesOfOneMorePass(drill)).toEqual([]);
  });
});
