// A recurring DRDrill against the in-memory API server: it fires once per cron time, keeps
// historyLimit finished runs, its metrics come from the caches, a pass that finds nothing
// changed writes nothing, and a window missed while the operator was down is reported once and
// never run (nor run twice). The test plays the DRDrillRun controller (it writes the runs' status).
import { afterEach, describe, expect, it } from '@jest/globals';
import { drillSpec, runStatus } from '../../core/testing/drill-builders.ts';
import { scheduleSpec } from '../../core/testing/builders.ts';
import { EventRecorder } from '../../kube/events.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { ControllerContext } from '../../runtime/controller-setup.ts';
import { InformerFactory } from '../../runtime/informer-factory.ts';
import { createRuntimeMetrics } from '../../runtime/metrics.ts';
import { settle } from '../../runtime/testing/fake-clock.ts';
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
/** Informers of operators started after the first one (restarts). */
const restartedInformers: InformerFactory[] = [];
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
  for (const informers of restartedInformers.splice(0)) await informers.stop();
});

async function drillCluster(spec: Record<string, unknown> = {}) {
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
    spec: drillSpec({ schedule: '0 4 * * *', historyLimit: 2, ...spec }),
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

/**
 * The operator stops (its caches go), then a new one starts over the same API server: new
 * informers that list everything afresh, a new event recorder (nothing remembered of what the
 * old one sent), the same clock. Only what the API server stores carries over.
 */
async function restart(drill: Drill): Promise<Drill> {
  await drill.context.informers.stop();
  const { client, clock, context } = drill;
  const informerFactory = new InformerFactory({ client, namespaces: 'all', resyncPeriodMs: 0, logger: context.logger, clock });
  restartedInformers.push(informerFactory);
  const events = new EventRecorder(client, { controller: 'lifeboat.dev/operator', instance: 'test-2', logger: context.logger, dedupWindowMs: 0, now: () => clock.now() });
  const fresh: ControllerContext = { ...context, informers: informerFactory, events, metrics: createRuntimeMetrics() };
  const informers = drillInformers(informerFactory);
  informerFactory.start();
  await informerFactory.waitForSync();
  await settle();
  const request = drill.request(NAMESPACE, 'daily');
  return { ...drill, context: fresh, informers, reconcile: () => reconcileDrill(fresh, informers, request) };
}

/** The events written, as "Reason: note". */
const eventsIn = (writes: { type: { kind: string }; body?: unknown }[]) =>
  writes.filter((write) => write.type.kind === 'Event').map((write) => `${(write.body as { reason: string }).reason}: ${(write.body as { note: string }).note}`);

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

describe('DRDrill reconcile: a window missed while the operator was down', () => {
  /** The first firing, and its run passing 40 minutes later, with the first operator. */
  async function firstDay(drill: Drill): Promise<void> {
    await reconcileUntilQuiet(drill.client, drill.reconcile);
    await drill.clock.advance(10 * 60_000);
    await reconcileUntilQuiet(drill.client, drill.reconcile);
    await drill.clock.advance(40 * 60_000);
    finishRun(drill, `daily-${FIRST}`, 'Passed', iso(FIRST + 2), iso(FIRST + 40 * 60));
    await reconcileUntilQuiet(drill.client, drill.reconcile);
    expect(runNames(drill)).toEqual([`daily-${FIRST}`]);
  }

  it('past startingDeadlineSeconds: reported once, never run, not even after another restart; the next window runs', async () => {
    const first = await drillCluster({ startingDeadlineSeconds: 600 });
    await firstDay(first);

    // Down from 04:40 until 04:30 the next day: the 04:00 window's 10 minutes went by unseen.
    const missedAt = FIRST + 86_400;
    await first.clock.advance(DAY - 10 * 60_000);
    const second = await restart(first);
    const back = await reconcileUntilQuiet(second.client, second.reconcile);
    expect(back.writes.map(summary)).toEqual(['event MissedSchedule', 'patchStatus DRDrill daily']);
    expect(eventsIn(back.writes)).toEqual([
      `MissedSchedule: the run due at ${iso(missedAt)} was not started within startingDeadlineSeconds (600s); the next is due at ${iso(missedAt + 86_400)}`,
    ]);
    expect(runNames(second)).toEqual([`daily-${FIRST}`]);
    expect(second.client.peek<StoredDrill>(DR_DRILLS, NAMESPACE, 'daily')?.status).toMatchObject({ lastScheduleTime: iso(FIRST), nextRunTime: iso(missedAt + 86_400) });
    expect(await writesOfOneMorePass(second)).toEqual([]);

    // Restarted again within the hour: the status says the window was reported; nothing is
    // written, neither a second event nor a late run.
    await second.clock.advance(20 * 60_000);
    const third = await restart(second);
    expect((await reconcileUntilQuiet(third.client, third.reconcile)).writes).toEqual([]);
    expect(runNames(third)).toEqual([`daily-${FIRST}`]);

    // The next window runs on time, and only it.
    await third.clock.advance(DAY - 50 * 60_000);
    const next = await reconcileUntilQuiet(third.client, third.reconcile);
    expect(next.writes.map(summary)).toEqual([`create DRDrillRun daily-${missedAt + 86_400}`, 'event RunCreated', 'patchStatus DRDrill daily']);
    expect(runNames(third)).toEqual([`daily-${FIRST}`, `daily-${missedAt + 86_400}`]);
  });

  it('without a deadline: only the most recent window runs, once, the older ones are reported as missed', async () => {
    const first = await drillCluster();
    await firstDay(first);

    // Down for three days: the windows of days 2 and 3 got no run; day 4's is 30 minutes old.
    const latest = FIRST + 3 * 86_400;
    await first.clock.advance(3 * DAY - 10 * 60_000);
    const second = await restart(first);
    const back = await reconcileUntilQuiet(second.client, second.reconcile);
    expect(back.writes.map(summary)).toEqual(['event MissedSchedule', `create DRDrillRun daily-${latest}`, 'event RunCreated', 'patchStatus DRDrill daily']);
    expect(eventsIn(back.writes)[0]).toBe(
      `MissedSchedule: 2 scheduled time(s) from ${iso(FIRST + 86_400)} to ${iso(FIRST + 2 * 86_400)} got no run; only the most recent, ${iso(latest)}, may start`,
    );
    expect(runNames(second)).toEqual([`daily-${FIRST}`, `daily-${latest}`]);

    // Restarted again while that run is still running (no status yet): no second run.
    await second.clock.advance(60_000);
    const third = await restart(second);
    expect((await reconcileUntilQuiet(third.client, third.reconcile)).writes).toEqual([]);
    expect(runNames(third)).toEqual([`daily-${FIRST}`, `daily-${latest}`]);
  });
});
