// A DRDrillRun's Ready, Reconciling and Stalled, as kstatus reads them: in progress while it runs
// (also while it cleans up after a failure, and while it waits for a reference), current once it
// passed, failed with the run's reason once it failed; a second pass with nothing changed writes
// nothing, and a finished run keeps observedGeneration equal to the generation.
import { describe, expect, it } from '@jest/globals';
import type { DRDrillRun } from '../../api/index.ts';
import { at, failure, job } from '../testing/builders.ts';
import { aDrillRun, aPlan, bucketChecked, checksPassed, drillConfig as config, observedDrillRun, ok, RUN } from '../testing/drill-run-builders.ts';
import { healthLine, kstatusOf } from '../testing/kstatus.ts';
import { decideDrillRun } from './decide-drill-run.ts';
import type { DrillRunDecision, ObservedDrillRun } from './types.ts';

/** Decide, then feed the status and finalizers back, as the next reconcile reads them. */
function next(observed: ObservedDrillRun, when: Date, overrides: Partial<ObservedDrillRun> = {}): [DrillRunDecision, ObservedDrillRun] {
  const input = { ...observed, ...overrides };
  const decision = decideDrillRun(input, when, config);
  let finalizers = input.run.metadata.finalizers ?? [];
  for (const action of decision.actions) {
    if (action.type === 'AddFinalizer') finalizers = [...finalizers, action.finalizer];
    if (action.type === 'RemoveFinalizer') finalizers = finalizers.filter((f) => f !== action.finalizer);
  }
  const run: DRDrillRun = { ...input.run, metadata: { ...input.run.metadata, finalizers }, status: structuredClone(decision.status) };
  // The Jobs it created show up, not started yet, as the informer would show them.
  const created = decision.actions.flatMap((action) => (action.type === 'CreateJob' && !input.jobs.some((j) => j.name === action.job.metadata!.name) ? [job.pending(action.job.metadata!.name!)] : []));
  return [decision, { ...input, run, jobs: [...input.jobs, ...created], catalog: run.status?.backup ? undefined : input.catalog }];
}

const both = (step: string, result: ReturnType<typeof ok>, start: string, end: string) => ['db', 'files'].map((source) => job.complete(`${RUN}-${step}-${source}`, result, start, end));
const provisioned = both('provision', ok('scratch-create', { created: true }), '2025-01-01T09:00:06Z', '2025-01-01T09:00:10Z');
const restored = [
  job.complete(`${RUN}-restore-db`, ok('postgres-restore', { sizeBytes: 2000 }), '2025-01-01T09:00:12Z', '2025-01-01T09:03:12Z'),
  job.complete(`${RUN}-restore-files`, ok('bucket-restore', { sizeBytes: 1000, objects: 5 }), '2025-01-01T09:00:12Z', '2025-01-01T09:01:00Z'),
];
const verified = [job.complete(`${RUN}-verify-db`, checksPassed(), '2025-01-01T09:04:00Z', '2025-01-01T09:05:00Z'), job.complete(`${RUN}-verify-files`, bucketChecked(), '2025-01-01T09:04:00Z', '2025-01-01T09:04:30Z')];
const cleaned = both('cleanup', ok('scratch-drop', { dropped: true }), '2025-01-01T09:05:02Z', '2025-01-01T09:05:05Z');

function expectHealth(decision: DrillRunDecision, state: ObservedDrillRun, verdict: string, line: string, message: string, when: Date): void {
  expect(kstatusOf(state.run)).toBe(verdict);
  expect(healthLine(decision.status.conditions)).toBe(line);
  expect(decision.status.conditions?.find((c) => c.type === 'Ready')?.message).toContain(message);
  expect(decision.status.observedGeneration).toBe(state.run.metadata.generation);
  // Decided again on what it wrote: the conditions stay (a running step may still add its Jobs'
  // progress, as the informer shows them); a finished run writes nothing at all.
  const again = decideDrillRun(state, when, config);
  expect(again.status.conditions).toEqual(decision.status.conditions);
  if (verdict !== 'InProgress') expect(again.statusChanged).toBe(false);
}

describe('DRDrillRun health', () => {
  it('runs in progress step by step, then passes: current', () => {
    const t = ['2025-01-01T09:00:05Z', '2025-01-01T09:00:11Z', '2025-01-01T09:03:13Z', '2025-01-01T09:05:01Z', '2025-01-01T09:05:06Z'].map(at);
    let [decision, state] = next(observedDrillRun(aDrillRun()), t[0]!);
    expectHealth(decision, state, 'InProgress', 'Ready=False/Running Reconciling=True', 'step Provision', t[0]!);
    [decision, state] = next(state, t[1]!, { jobs: provisioned });
    expectHealth(decision, state, 'InProgress', 'Ready=False/Running Reconciling=True', 'step Restore', t[1]!);
    [, state] = next(state, t[2]!, { jobs: [...provisioned, ...restored] });
    [decision, state] = next(state, t[3]!, { jobs: [...provisioned, ...restored, ...verified] });
    expectHealth(decision, state, 'InProgress', 'Ready=False/Running Reconciling=True', 'step Cleanup', t[3]!);
    [decision, state] = next(state, t[4]!, { jobs: [...provisioned, ...restored, ...verified, ...cleaned] });
    expect(decision.status.result).toBe('Passed');
    expectHealth(decision, state, 'Current', 'Ready=True/Passed', 'the drill passed', t[4]!);
  });

  it('fails: in progress while it cleans up, then failed with the run\'s reason', () => {
    let [, state] = next(observedDrillRun(aDrillRun()), at('2025-01-01T09:00:05Z'));
    const jobs = [job.failed(`${RUN}-provision-db`, failure('scratch database exists', 'TargetExists')), job.complete(`${RUN}-provision-files`, ok('scratch-create'))];
    let decision: DrillRunDecision;
    [decision, state] = next(state, at('2025-01-01T09:00:20Z'), { jobs });
    expect(decision.status).toMatchObject({ result: 'Running', reason: 'ScratchExists' });
    expectHealth(decision, state, 'InProgress', 'Ready=False/Running Reconciling=True', 'step Cleanup', at('2025-01-01T09:00:20Z'));
    const dropped = [...jobs, job.complete(`${RUN}-cleanup-files`, ok('scratch-drop'), '2025-01-01T09:00:21Z', '2025-01-01T09:00:25Z')];
    [decision, state] = next(state, at('2025-01-01T09:00:26Z'), { jobs: dropped });
    expect(decision.status.result).toBe('Failed');
    expectHealth(decision, state, 'Failed', 'Ready=False/ScratchExists Stalled=True', 'scratch database exists', at('2025-01-01T09:00:26Z'));
  });

  it('a plan that cannot work: failed, InvalidSpec (the run says InvalidPlan)', () => {
    const plan = aPlan({ verify: { sql: [{ name: 'x', source: 'nope', query: 'SELECT 1', expect: { rows: 1 } }] } });
    const [decision, state] = next(observedDrillRun(aDrillRun({ plan })), at('2025-01-01T09:00:05Z'));
    expect(decision.status).toMatchObject({ result: 'Failed', reason: 'InvalidPlan' });
    expectHealth(decision, state, 'Failed', 'Ready=False/InvalidSpec Stalled=True', '"nope" is not a PostgreSQL source', at('2025-01-01T09:00:05Z'));
  });

  it('its BackupSchedule missing: in progress within the grace period, then failed, ReferenceNotFound', () => {
    const observed = observedDrillRun(aDrillRun(), { schedule: undefined });
    const [waiting, state] = next(observed, at('2025-01-01T09:00:05Z'));
    expectHealth(waiting, state, 'InProgress', 'Ready=False/ReferenceNotFound Reconciling=True', 'BackupSchedule "app"', at('2025-01-01T09:00:05Z'));
    const [gaveUp, after] = next(state, at('2025-01-01T09:10:05Z'));
    expect(gaveUp.status.result).toBe('Failed');
    expectHealth(gaveUp, after, 'Failed', 'Ready=False/ReferenceNotFound Stalled=True', 'BackupSchedule "app"', at('2025-01-01T09:10:05Z'));
  });

  it('a failed run written before Ready followed kstatus (Ready True, Valid) reads failed after one pass; a finished run being deleted is not written', () => {
    const status = { result: 'Failed' as const, reason: 'CheckFailed', message: '1 check(s) failed', completionTime: '2025-01-01T09:10:00Z', observedGeneration: 1,
      conditions: [{ type: 'Ready', status: 'True' as const, reason: 'Valid', message: 'the plan, the schedule and every Secret it names check out', lastTransitionTime: '2025-01-01T09:00:05Z', observedGeneration: 1 }] };
    const old = observedDrillRun(aDrillRun({ status, finalizers: [] }));
    expect(kstatusOf(old.run)).toBe('Current');
    const [decision, state] = next(old, at('2025-01-02T00:00:00Z'));
    expectHealth(decision, state, 'Failed', 'Ready=False/CheckFailed Stalled=True', '1 check(s) failed', at('2025-01-02T00:00:00Z'));
    const deleting = observedDrillRun(aDrillRun({ status, deleting: '2025-01-02T00:00:00Z' }));
    expect(decideDrillRun(deleting, at('2025-01-02T00:00:01Z'), config).statusChanged).toBe(false);
  });
});
