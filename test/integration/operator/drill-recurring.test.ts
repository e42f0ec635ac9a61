// A recurring drill: a DRDrill with a cron fires on it, each run named <drill>-<unix seconds>
// of its cron time, owned by the drill, the drill's plan copied into it; a minute later it fires
// again; historyLimit keeps only the newest finished runs; the drill's status, `kubectl get
// drdrill` and the operator's metrics show the newest run and the last one that passed.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DR_DRILL_RUNS, DR_DRILLS } from '../../../src/controllers/resource-types.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import type { RunningOperator } from '../../../src/operator/operator.ts';
import { ok } from '../api/kubectl.ts';
import { createDrill, drillPlan, finalDrillRun, type DrillRunObject } from './drill-support.ts';
import { DEFAULT_LEASE, existingScratch } from './drill-scratch.ts';
import { makeKubectl, Scene, waitFor } from './support.ts';

jest.setTimeout(300_000);

const DRILL = 'minutely';

interface DrillObject extends KubeObject {
  spec: Record<string, unknown>;
  status?: {
    lastScheduleTime?: string;
    nextRunTime?: string;
    active?: string;
    latest?: { name: string; result?: string; startTime?: string; completionTime?: string; rto?: string; rpo?: string; objectives?: string };
    lastPassed?: { name: string; result?: string; completionTime?: string };
    lastPassedTime?: string;
    conditions?: { type: string; status: string; reason?: string }[];
  };
}

const unixSeconds = (time: string | undefined) => new Date(time!).getTime() / 1000;

describe('a DRDrill that fires every minute', () => {
  const kubectl = makeKubectl();
  let scene: Scene;
  let operator: RunningOperator;
  let drill: DrillObject;
  let first: DrillRunObject;
  let second: DrillRunObject;
  let backupSnapshot: string | undefined;

  const runsOfDrill = async () =>
    (await scene.client.list<DrillRunObject>(DR_DRILL_RUNS, { namespace: scene.namespace })).items.sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
  const drillNow = () => scene.client.get<DrillObject>(DR_DRILLS, scene.namespace, DRILL);

  beforeAll(async () => {
    scene = await Scene.create('op-drill-cron');
    operator = await scene.startOperator({ env: DEFAULT_LEASE });
    await scene.applySchedule({ name: 'app', schedule: '0 0 1 1 *', sources: ['app-db'] });
    await scene.createManualRun('app-now', 'app');
    const backup = await scene.finalRun('app-now');
    expect(backup.status?.phase).toBe('Succeeded');
    backupSnapshot = backup.status?.snapshotTime;
    const plan = drillPlan('app', { scenario: 'DatabaseLoss' });
    drill = (await createDrill(scene.client, scene.namespace, DRILL, { ...plan, scratch: { ...plan.scratch, s3: undefined }, schedule: '* * * * *', historyLimit: 1 })) as DrillObject;
  });

  afterAll(() => scene?.tearDown());

  it('fires on its cron: a run named after its cron time, owned by the drill, with the drill\'s plan', async () => {
    first = await waitFor(async () => (await runsOfDrill())[0], { what: 'the drill to fire', timeoutMs: 75_000, intervalMs: 500 });
    const name = first.metadata.name!;
    expect(name).toMatch(new RegExp(`^${DRILL}-\\d{10}$`));
    const seconds = Number(name.slice(DRILL.length + 1));
    expect(seconds % 60).toBe(0);
    const scheduled = new Date(seconds * 1000);
    expect(first.metadata.annotations?.['lifeboat.dev/scheduled-time']).toBe(scheduled.toISOString().replace('.000Z', 'Z'));
    // Created at its time, not before, and not long after.
    const created = new Date(first.metadata.creationTimestamp as string).getTime();
    expect(created).toBeGreaterThanOrEqual(scheduled.getTime());
    expect(created - scheduled.getTime()).toBeLessThan(10_000);
    expect(first.metadata.labels?.['lifeboat.dev/drill']).toBe(DRILL);
    expect(first.metadata.ownerReferences).toEqual([
      { apiVersion: 'lifeboat.dev/v1alpha1', kind: 'DRDrill', name: DRILL, uid: drill.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    // The plan: every field of the drill's spec except when and how often to run.
    const stored = await drillNow();
    const { schedule: _schedule, timeZone: _timeZone, suspend: _suspend, startingDeadlineSeconds: _deadline, historyLimit: _limit, ...planFields } = stored.spec;
    expect(first.spec).toEqual({ drillRef: { name: DRILL }, plan: planFields });

    first = await finalDrillRun(scene.client, scene.namespace, name);
    expect({ result: first.status?.result, reason: first.status?.reason, message: first.status?.message }).toEqual({ result: 'Passed', reason: undefined, message: undefined });

    // No freshness query: the RPO is the incident (the run's creation) minus the snapshot time
    // of the backup restored, the one BackupRun app-now reported, to the second.
    expect(first.status?.backup?.run).toBe('app-now');
    expect(Date.parse(first.status!.backup!.snapshotTime!)).toBe(Date.parse(backupSnapshot!));
    expect(first.status?.rpo).toMatchObject({ basis: 'SnapshotTime', newestDataTime: first.status?.backup?.snapshotTime, met: true });
    expect(first.status!.rpo!.measuredSeconds).toBe(Math.round((Date.parse(first.metadata.creationTimestamp as string) - Date.parse(backupSnapshot!)) / 1000));
  });

  it('fires again a minute later, and keeps only historyLimit finished runs', async () => {
    const expected = `${DRILL}-${Number(first.metadata.name!.slice(DRILL.length + 1)) + 60}`;
    second = await waitFor(async () => (await runsOfDrill()).find((run) => run.metadata.name === expected), { what: `the second run ${expected}`, timeoutMs: 75_000, intervalMs: 500 });
    // Two firings are enough: no third run may change the newest while the status is read.
    await scene.client.mergePatch(DR_DRILLS, scene.namespace, DRILL, { spec: { suspend: true } });
    second = await finalDrillRun(scene.client, scene.namespace, expected);
    expect(second.status?.result).toBe('Passed');

    // historyLimit 1: the older finished run is deleted, with its scratch long gone.
    await waitFor(async () => (await runsOfDrill()).length === 1, { what: 'the first run to be pruned', timeoutMs: 30_000, intervalMs: 500 });
    expect((await runsOfDrill()).map((run) => run.metadata.name)).toEqual([expected]);
    expect(await scene.eventReasons(DRILL, ['RunCreated', 'RunPruned', 'DrillPassed'])).toEqual(expect.arrayContaining(['RunCreated', 'RunPruned', 'DrillPassed']));
    expect(await existingScratch(first)).toEqual({ databases: [], buckets: [] });
    expect(await existingScratch(second)).toEqual({ databases: [], buckets: [] });
  });

  it('shows the newest run and the last passed in its status, kubectl get and the metrics', async () => {
    const status = await waitFor(async () => {
      const current = (await drillNow()).status;
      return current?.latest?.name === second.metadata.name && current?.latest?.result === 'Passed' ? current : undefined;
    }, { what: 'the drill status to show the second run', timeoutMs: 30_000, intervalMs: 500 });
    const run = second.status!;
    expect(status.latest).toEqual({
      name: second.metadata.name,
      result: 'Passed',
      startTime: run.startTime,
      completionTime: run.completionTime,
      rto: run.rto!.measured,
      rpo: run.rpo!.measured,
      objectives: 'Met',
    });
    expect(status.lastPassed).toEqual(status.latest);
    expect(status.lastPassedTime).toBe(run.completionTime);
    expect(status.lastScheduleTime).toBe(second.metadata.annotations?.['lifeboat.dev/scheduled-time']);
    expect(status.active).toBeUndefined();
    expect(status.conditions?.find((condition) => condition.type === 'LastRunPassed')).toMatchObject({ status: 'True' });

    const table = await ok(kubectl, ['get', 'drdrill', '-n', scene.namespace, DRILL]);
    const [header, row] = table.trim().split('\n');
    expect(header).toMatch(/^NAME\s+SCENARIO\s+RESULT\s+RTO\s+RPO\s+OBJECTIVES\s+LAST RUN\s+LAST PASSED\s+AGE$/);
    expect(row!.split(/\s{2,}/).slice(0, 6)).toEqual([DRILL, 'DatabaseLoss', 'Passed', run.rto!.measured, run.rpo!.measured, 'Met']);

    const metrics = await (await fetch(`${operator.httpUrl}/metrics`)).text();
    const labels = `\\{namespace="${scene.namespace}",drill="${DRILL}"\\}`;
    const value = (name: string) => {
      const match = new RegExp(`^lifeboat_${name}${labels} (\\S+)$`, 'm').exec(metrics);
      return match ? Number(match[1]) : undefined;
    };
    expect(value('drill_last_result')).toBe(1);
    expect(value('drill_rto_seconds')).toBe(run.rto!.measuredSeconds);
    expect(value('drill_rpo_seconds')).toBe(run.rpo!.measuredSeconds);
    expect(value('drill_last_passed_timestamp_seconds')).toBe(unixSeconds(run.completionTime));
    // Same backup, incidents a minute apart: the second run's RPO is the first's plus the time between them.
    const between = unixSeconds(second.metadata.creationTimestamp as string) - unixSeconds(first.metadata.creationTimestamp as string);
    expect(between).toBeGreaterThanOrEqual(50);
    expect(run.rpo!.measuredSeconds! - first.status!.rpo!.measuredSeconds!).toBe(between);
  });
});
