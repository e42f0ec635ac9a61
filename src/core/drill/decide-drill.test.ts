// decideDrill over a frozen clock: when runs start, what history keeps, what status says.
import { describe, expect, it } from '@jest/globals';
import type { Problem } from '../../api/index.ts';
import { aDrill, drillRun, drillSpec, finishedRun } from '../testing/drill-builders.ts';
import { at, HOUR, MINUTE } from '../testing/builders.ts';
import { decideDrill } from './decide-drill.ts';
import { runBelongsToDrill } from './run-view.ts';
import type { DrillDecision, ObservedDrill } from './types.ts';

const created = (decision: DrillDecision) => decision.actions.flatMap((action) => (action.type === 'CreateRun' ? [action.run] : []));
const createdNames = (decision: DrillDecision) => created(decision).map((run) => run.metadata.name);
const deleted = (decision: DrillDecision) => decision.actions.flatMap((action) => (action.type === 'DeleteRun' ? [action.name] : []));
const events = (decision: DrillDecision) => decision.actions.flatMap((action) => (action.type === 'RecordEvent' ? [`${action.event.reason}: ${action.event.message}`] : []));
const reasons = (decision: DrillDecision) => decision.actions.flatMap((action) => (action.type === 'RecordEvent' ? [action.event.reason] : []));
const condition = (decision: DrillDecision, type: string) => decision.status.conditions?.find((c) => c.type === type);

/** The next pass: the decided status written, the created run seen (no status yet), pruned runs gone. */
function afterWrite(observed: ObservedDrill, decision: DrillDecision, now: Date): ObservedDrill {
  const fresh = created(decision).map((run) => drillRun(run.metadata.annotations!['lifeboat.dev/scheduled-time']!, { creationTime: now }));
  return {
    ...observed,
    status: structuredClone(decision.status),
    runs: [...observed.runs.filter((run) => !decision.pruned.includes(run.name)), ...fresh],
  };
}

// Sunday 5 January 2025, 04:00 UTC, in Unix seconds; the drill was created on Wednesday.
const SUN1 = 1736049600;
const WEEK = 7 * 86400;

describe('decideDrill: a recurring drill', () => {
  it('starts nothing before its first cron time and requeues for exactly that instant', () => {
    const decision = decideDrill(aDrill(), at('2025-01-05T03:30:00Z'));
    expect(createdNames(decision)).toEqual([]);
    expect(decision.status.nextRunTime).toBe('2025-01-05T04:00:00Z');
    expect(decision.requeueAfterMs).toBe(30 * MINUTE);
  });

  it('creates the run that is due: named after its time, labelled, owned, annotated, the plan copied', () => {
    const spec = drillSpec({ jobTemplate: { backoffLimit: 2 }, backup: { olderThan: '6h' } });
    const decision = decideDrill(aDrill({ spec }), at('2025-01-05T04:00:00.500Z'));
    const [run] = created(decision);
    expect(run?.metadata).toEqual({
      name: `weekly-${SUN1}`,
      namespace: 'prod',
      labels: { 'app.kubernetes.io/managed-by': 'lifeboat', 'lifeboat.dev/drill': 'weekly' },
      annotations: { 'lifeboat.dev/scheduled-time': '2025-01-05T04:00:00Z' },
      ownerReferences: [{ apiVersion: 'lifeboat.dev/v1alpha1', kind: 'DRDrill', name: 'weekly', uid: 'uid-weekly', controller: true, blockOwnerDeletion: true }],
    });
    expect(run?.spec.drillRef).toEqual({ name: 'weekly' });
    expect(run?.spec.plan).toEqual({
      scheduleRef: spec.scheduleRef,
      scenario: spec.scenario,
      backup: spec.backup,
      objectives: spec.objectives,
      scratch: spec.scratch,
      verify: spec.verify,
      timeout: spec.timeout,
      jobTemplate: spec.jobTemplate,
    });
    expect(run?.spec.plan?.scratch).not.toBe(spec.scratch);
    expect(events(decision)).toEqual([`RunCreated: created weekly-${SUN1} for the drill due at 2025-01-05T04:00:00Z`]);
    expect(decision.status).toMatchObject({ lastScheduleTime: '2025-01-05T04:00:00Z', nextRunTime: '2025-01-12T04:00:00Z', active: `weekly-${SUN1}`, latest: { name: `weekly-${SUN1}` } });
  });

  it('fires in its time zone', () => {
    const decision = decideDrill(aDrill({ spec: drillSpec({ timeZone: 'Europe/Berlin' }) }), at('2025-01-05T03:00:00Z'));
    expect(createdNames(decision)).toEqual([`weekly-${SUN1 - HOUR / 1000}`]);
  });

  it('never creates a run twice: with a stale status the existing run counts as started', () => {
    const observed = aDrill({ runs: [drillRun('2025-01-05T04:00:00Z', { result: 'Running' })] });
    const decision = decideDrill(observed, at('2025-01-05T04:05:00Z'));
    expect(createdNames(decision)).toEqual([]);
    expect(decision.status.lastScheduleTime).toBe('2025-01-05T04:00:00Z');
  });

  it('fires once per cron time: the pass after the create, and the rest of the week, create nothing', () => {
    const first = decideDrill(aDrill(), at('2025-01-05T04:00:00Z'));
    let observed = afterWrite(aDrill(), first, at('2025-01-05T04:00:00Z'));
    for (const now of ['2025-01-05T04:00:01Z', '2025-01-08T12:00:00Z', '2025-01-12T03:59:59Z']) {
      const decision = decideDrill(observed, at(now));
      expect(decision.actions).toEqual([]);
      observed = afterWrite(observed, decision, at(now));
    }
  });

  it('Forbid: a due time waits while a run is in progress (one created by hand too), without an event at every pass', () => {
    const byHand = { name: 'weekly-now', creationTime: at('2025-01-05T03:50:00Z'), result: 'Running' as const, deleting: false };
    const observed = aDrill({ runs: [byHand], status: { observedGeneration: 1, nextRunTime: '2025-01-05T04:00:00Z' } });
    const decision = decideDrill(observed, at('2025-01-05T04:00:00Z'));
    expect(createdNames(decision)).toEqual([]);
    expect(decision.actions).toEqual([]);
    expect(decision.status).toMatchObject({ nextRunTime: '2025-01-05T04:00:00Z', active: 'weekly-now' });
  });

  it('Forbid: starts the held-back run when the one in progress finished, within the deadline', () => {
    const byHand = { name: 'weekly-now', creationTime: at('2025-01-05T03:50:00Z'), result: 'Passed' as const, completionTime: '2025-01-05T04:20:00Z', deleting: false };
    const observed = aDrill({ runs: [byHand], spec: drillSpec({ startingDeadlineSeconds: 3600 }), status: { observedGeneration: 1, nextRunTime: '2025-01-05T04:00:00Z' } });
    expect(createdNames(decideDrill(observed, at('2025-01-05T04:20:05Z')))).toEqual([`weekly-${SUN1}`]);
  });

  it('a window missed past startingDeadlineSeconds is reported once and never run, not even in the next run\'s count', () => {
    const running = drillRun('2024-12-29T04:00:00Z', { result: 'Running' });
    let observed = aDrill({ runs: [running], spec: drillSpec({ startingDeadlineSeconds: 600 }), creationTime: at('2024-12-28T00:00:00Z') });
    observed = afterWrite(observed, decideDrill(observed, at('2025-01-05T03:00:00Z')), at('2025-01-05T03:00:00Z'));

    const held = decideDrill(observed, at('2025-01-05T04:00:00Z'));
    expect(held.actions).toEqual([]);
    expect(held.requeueAfterMs).toBe(10 * MINUTE + 1);
    observed = afterWrite(observed, held, at('2025-01-05T04:00:00Z'));

    const missed = decideDrill(observed, at('2025-01-05T04:10:00.001Z'));
    expect(createdNames(missed)).toEqual([]);
    expect(events(missed)).toEqual([
      'MissedSchedule: the run due at 2025-01-05T04:00:00Z was not started within startingDeadlineSeconds (600s); the next is due at 2025-01-12T04:00:00Z',
    ]);
    expect(missed.status.nextRunTime).toBe('2025-01-12T04:00:00Z');
    observed = afterWrite(observed, missed, at('2025-01-05T04:10:00Z'));

    // The run in progress finishes: the missed window stays missed, and is not reported again.
    observed = { ...observed, runs: [{ ...running, result: 'Passed', completionTime: '2025-01-05T05:00:00Z' }] };
    const later = decideDrill(observed, at('2025-01-05T05:00:01Z'));
    expect(createdNames(later)).toEqual([]);
    expect(reasons(later)).toEqual(['DrillPassed']);
    observed = afterWrite(observed, later, at('2025-01-05T05:00:01Z'));

    const next = decideDrill(observed, at('2025-01-12T04:00:00Z'));
    expect(createdNames(next)).toEqual([`weekly-${SUN1 + WEEK}`]);
    expect(reasons(next)).toEqual(['RunCreated']);
  });

  it('after three weeks down starts only the most recent due time and says two were missed', () => {
    const observed = aDrill({ status: { observedGeneration: 1, lastScheduleTime: '2025-01-05T04:00:00Z', nextRunTime: '2025-01-12T04:00:00Z' } });
    const decision = decideDrill(observed, at('2025-01-26T05:00:00Z'));
    expect(createdNames(decision)).toEqual([`weekly-${SUN1 + 3 * WEEK}`]);
    expect(events(decision)[0]).toBe(
      'MissedSchedule: 2 scheduled time(s) from 2025-01-12T04:00:00Z to 2025-01-19T04:00:00Z got no run; only the most recent, 2025-01-26T04:00:00Z, may start',
    );
  });

  it('suspend: no run starts, no next time shows, Ready says why', () => {
    const decision = decideDrill(aDrill({ spec: drillSpec({ suspend: true }) }), at('2025-01-05T04:00:00Z'));
    expect(createdNames(decision)).toEqual([]);
    expect(decision.status.nextRunTime).toBeUndefined();
    expect(condition(decision, 'Ready')).toMatchObject({ status: 'True', reason: 'Suspended' });
    expect(decision.requeueAfterMs).toBeUndefined();
  });

  it('an edit of the cron follows the new one from the last run, as a schedule does', () => {
    const first = decideDrill(aDrill(), at('2025-01-05T04:00:00Z'));
    const written = afterWrite(aDrill(), first, at('2025-01-05T04:00:00Z'));
    const observed = { ...written, runs: [finishedRun('2025-01-05T04:00:00Z', 'Passed', {}, 30)], generation: 2, spec: drillSpec({ schedule: '0 6 * * *' }) };
    expect(decideDrill(observed, at('2025-01-05T05:00:00Z')).status.nextRunTime).toBe('2025-01-05T06:00:00Z');
    expect(createdNames(decideDrill(observed, at('2025-01-05T06:00:00Z')))).toEqual([`weekly-${SUN1 + 2 * 3600}`]);
  });
});

describe('decideDrill: a one-off drill (no schedule)', () => {
  const oneOff = (overrides: Partial<ObservedDrill> = {}) => aDrill({ spec: drillSpec({ schedule: undefined }), creationTime: at('2025-01-02T09:30:00Z'), ...overrides });
  const CREATED = 1735810200;

  it('creates exactly one run, named after its creation time, at the first pass', () => {
    const decision = decideDrill(oneOff(), at('2025-01-02T09:30:01Z'));
    expect(createdNames(decision)).toEqual([`weekly-${CREATED}`]);
    expect(events(decision)).toEqual([`RunCreated: created weekly-${CREATED} for the one run of a drill without a schedule`]);
    expect(decision.status).toMatchObject({ lastScheduleTime: '2025-01-02T09:30:00Z', active: `weekly-${CREATED}` });
    expect(decision.status.nextRunTime).toBeUndefined();
    expect(decision.requeueAfterMs).toBeUndefined();
    // Its one run has just started: the drill is in progress until the run finishes.
    expect(condition(decision, 'Ready')).toMatchObject({ status: 'False', reason: 'FirstRunInProgress', message: `DRDrillRun weekly-${CREATED} is running; no drill has finished yet` });
  });

  it('never again: not after a restart with a stale status, nor after an edit, nor once its run is gone', () => {
    const now = at('2025-01-02T09:30:01Z');
    expect(createdNames(decideDrill(oneOff({ runs: [drillRun('2025-01-02T09:30:00Z')] }), now))).toEqual([]);

    const observed = afterWrite(oneOff(), decideDrill(oneOff(), now), now);
    const edited = { ...observed, generation: 2, spec: drillSpec({ schedule: undefined, objectives: { rto: '2h', rpo: '24h' } }) };
    expect(createdNames(decideDrill(edited, at('2025-01-03T00:00:00Z')))).toEqual([]);
    expect(createdNames(decideDrill({ ...edited, runs: [] }, at('2025-02-01T00:00:00Z')))).toEqual([]);
  });

  it('waits for its BackupSchedule, then runs', () => {
    const missing = decideDrill(oneOff({ scheduleExists: false }), at('2025-01-02T09:30:01Z'));
    expect(createdNames(missing)).toEqual([]);
    const observed = afterWrite(oneOff({ scheduleExists: false }), missing, at('2025-01-02T09:30:01Z'));
    expect(createdNames(decideDrill({ ...observed, scheduleExists: true }, at('2025-01-02T09:31:00Z')))).toEqual([`weekly-${CREATED}`]);
  });

  it('suspended, runs when resumed; with a run created by hand in progress, runs after it', () => {
    expect(createdNames(decideDrill(oneOff({ spec: drillSpec({ schedule: undefined, suspend: true }) }), at('2025-01-02T09:30:01Z')))).toEqual([]);
    expect(createdNames(decideDrill(oneOff({ generation: 2 }), at('2025-01-03T00:00:00Z')))).toEqual([`weekly-${CREATED}`]);

    const byHand = { name: 'weekly-now', creationTime: at('2025-01-02T09:29:00Z'), result: 'Running' as const, deleting: false };
    expect(createdNames(decideDrill(oneOff({ runs: [byHand] }), at('2025-01-02T09:30:01Z')))).toEqual([]);
    expect(createdNames(decideDrill(oneOff({ runs: [{ ...byHand, result: 'Failed' }] }), at('2025-01-02T09:40:00Z')))).toEqual([`weekly-${CREATED}`]);
  });
});

describe('decideDrill: history', () => {
  const week = (n: number) => new Date((SUN1 + n * WEEK) * 1000).toISOString().replace('.000Z', 'Z');

  it('deletes the finished runs beyond historyLimit, oldest first, never the one in progress', () => {
    const runs = [0, 1, 2, 3, 4].map((n) => finishedRun(week(n), n === 1 ? 'Failed' : 'Passed'));
    const running = drillRun(week(5), { result: 'Running' });
    const observed = aDrill({ spec: drillSpec({ historyLimit: 3 }), runs: [running, ...runs] });
    const decision = decideDrill(observed, at('2025-02-09T05:00:00Z'));
    expect(deleted(decision)).toEqual([`weekly-${SUN1}`, `weekly-${SUN1 + WEEK}`]);
    expect(events(decision).filter((event) => event.startsWith('RunPruned'))).toEqual([
      `RunPruned: deleted weekly-${SUN1}: older than the newest 3 finished runs (historyLimit)`,
      `RunPruned: deleted weekly-${SUN1 + WEEK}: older than the newest 3 finished runs (historyLimit)`,
    ]);
    expect(decision.status.active).toBe(`weekly-${SUN1 + 5 * WEEK}`);
  });

  it('counts runs created by hand and prunes them like its own; runs being deleted are not counted', () => {
    const byHand = { ...finishedRun(week(0), 'Passed'), name: 'weekly-now', scheduledTime: undefined };
    const deleting = { ...finishedRun(week(1), 'Passed'), deleting: true };
    const observed = aDrill({ spec: drillSpec({ historyLimit: 2 }), runs: [byHand, deleting, finishedRun(week(2), 'Passed'), finishedRun(week(3), 'Passed')] });
    expect(deleted(decideDrill(observed, at('2025-02-01T00:00:00Z')))).toEqual(['weekly-now']);
  });

  it('keeps the newest run that passed, even beyond the limit', () => {
    const runs = [finishedRun(week(0), 'Passed'), finishedRun(week(1), 'Passed'), finishedRun(week(2), 'Failed'), finishedRun(week(3), 'Failed')];
    const decision = decideDrill(aDrill({ spec: drillSpec({ historyLimit: 1 }), runs }), at('2025-02-01T00:00:00Z'));
    expect(deleted(decision)).toEqual([`weekly-${SUN1}`, `weekly-${SUN1 + 2 * WEEK}`]);
    expect(decision.status.lastPassed?.name).toBe(`weekly-${SUN1 + WEEK}`);
  });
});

describe('decideDrill: status', () => {
  it('Ready False for an invalid spec, with the field, an event once, and no run', () => {
    const problems: Problem[] = [{ field: 'spec.timeZone', message: 'unknown time zone "Europe/Berln": did you mean Europe/Berlin?', severity: 'Error' }];
    const observed = aDrill({ problems });
    const decision = decideDrill(observed, at('2025-01-05T04:00:00Z'));
    expect(createdNames(decision)).toEqual([]);
    expect(condition(decision, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec', message: 'spec.timeZone: unknown time zone "Europe/Berln": did you mean Europe/Berlin?' });
    expect(reasons(decision)).toEqual(['InvalidSpec']);
    expect(decision.status.nextRunTime).toBeUndefined();
    expect(decideDrill(afterWrite(observed, decision, at('2025-01-05T04:00:00Z')), at('2025-01-05T04:01:00Z')).actions).toEqual([]);
  });

  it('Ready False while the BackupSchedule is missing, saying what to fix', () => {
    const decision = decideDrill(aDrill({ scheduleExists: false }), at('2025-01-05T04:00:00Z'));
    expect(condition(decision, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ReferenceNotFound',
      message: 'BackupSchedule "app" not found in namespace prod: create it, or set spec.scheduleRef.name to an existing schedule; no drill starts until then',
    });
    expect(reasons(decision)).toEqual(['ScheduleNotFound']);
    expect(createdNames(decision)).toEqual([]);
  });

  it('summarizes the newest run, the newest passed one, and LastRunPassed from the newest finished run', () => {
    const passed = finishedRun('2025-01-05T04:00:00Z', 'Passed');
    const failed = finishedRun('2025-01-12T04:00:00Z', 'Failed', { rto: undefined, rpo: undefined, objectives: undefined });
    const running = drillRun('2025-01-19T04:00:00Z', { result: 'Running', startTime: '2025-01-19T04:00:02Z' });
    const decision = decideDrill(aDrill({ runs: [passed, failed, running], status: { observedGeneration: 1, nextRunTime: '2025-01-26T04:00:00Z' } }), at('2025-01-19T04:10:00Z'));
    expect(decision.status).toMatchObject({
      active: running.name,
      latest: { name: running.name, result: 'Running', startTime: '2025-01-19T04:00:02Z' },
      lastPassed: { name: passed.name, result: 'Passed', startTime: '2025-01-05T04:00:02Z', completionTime: '2025-01-05T04:40:00Z', rto: '39m', rpo: '2h11m', objectives: 'Met' },
      lastPassedTime: '2025-01-05T04:40:00Z',
      lastScheduleTime: '2025-01-19T04:00:00Z',
    });
    expect(condition(decision, 'LastRunPassed')).toMatchObject({
      status: 'False',
      reason: 'CheckFailed',
      message: `${failed.name} failed (CheckFailed): users-exist: expected at least 1, found 0`,
    });
  });

  it('no LastRunPassed before a run finished', () => {
    const decision = decideDrill(aDrill({ runs: [drillRun('2025-01-05T04:00:00Z')] }), at('2025-01-05T04:10:00Z'));
    expect(condition(decision, 'LastRunPassed')).toBeUndefined();
    expect(decision.status.latest).toEqual({ name: `weekly-${SUN1}` });
  });

  it('DrillPassed / DrillFailed once per finished run; lastTransitionTime moves only on a flip', () => {
    const run = drillRun('2025-01-05T04:00:00Z', { result: 'Running' });
    let observed = aDrill({ runs: [run] });
    observed = afterWrite(observed, decideDrill(observed, at('2025-01-05T04:01:00Z')), at('2025-01-05T04:01:00Z'));

    observed = { ...observed, runs: [finishedRun('2025-01-05T04:00:00Z', 'Passed')] };
    const finished = decideDrill(observed, at('2025-01-05T04:40:05Z'));
    expect(events(finished)).toEqual([`DrillPassed: weekly-${SUN1} passed: RTO 39m, RPO 2h11m, objectives Met`]);
    expect(condition(finished, 'LastRunPassed')).toMatchObject({ status: 'True', reason: 'Passed', lastTransitionTime: '2025-01-05T04:40:05Z' });
    observed = afterWrite(observed, finished, at('2025-01-05T04:40:05Z'));

    const again = decideDrill(observed, at('2025-01-06T00:00:00Z'));
    expect(again.actions).toEqual([]);
    expect(again.statusChanged).toBe(false);

    // The next week's run passes too: a new event, the same transition time.
    observed = { ...observed, runs: [...observed.runs, finishedRun('2025-01-12T04:00:00Z', 'Passed')], status: { ...observed.status, lastScheduleTime: '2025-01-12T04:00:00Z', nextRunTime: '2025-01-19T04:00:00Z' } };
    const second = decideDrill(observed, at('2025-01-12T04:40:05Z'));
    expect(reasons(second)).toEqual(['DrillPassed']);
    expect(condition(second, 'LastRunPassed')?.lastTransitionTime).toBe('2025-01-05T04:40:05Z');
    observed = afterWrite(observed, second, at('2025-01-12T04:40:05Z'));

    // Deleting the newest by hand makes the older one the newest result again: no event for it.
    const older = decideDrill({ ...observed, runs: observed.runs.slice(0, 1) }, at('2025-01-12T05:00:00Z'));
    expect(reasons(older)).toEqual([]);
    expect(condition(older, 'LastRunPassed')?.message).toContain(`weekly-${SUN1} passed`);
  });
});

describe('runBelongsToDrill', () => {
  const run = (metadata: Record<string, unknown>, drillRef = 'weekly') => ({ metadata: { name: 'r', ...metadata }, spec: { drillRef: { name: drillRef } } });
  const drill = { name: 'weekly', uid: 'uid-weekly' };
  const owner = (uid: string) => ({ ownerReferences: [{ apiVersion: 'lifeboat.dev/v1alpha1', kind: 'DRDrill', name: 'weekly', uid, controller: true }] });

  it('takes its own runs and runs created by hand, not those of an earlier drill of the same name', () => {
    expect(runBelongsToDrill(run(owner('uid-weekly')), drill)).toBe(true);
    expect(runBelongsToDrill(run({}), drill)).toBe(true);
    expect(runBelongsToDrill(run({ labels: { 'lifeboat.dev/drill': 'weekly' } }, 'other'), drill)).toBe(true);
    expect(runBelongsToDrill(run({}, 'other'), drill)).toBe(false);
    expect(runBelongsToDrill(run(owner('uid-before')), drill)).toBe(false);
  });
});
