// RPOMet over a frozen clock: it flips exactly when the newest backup's data gets older than the
// objective, the schedule is requeued for that instant, and nothing changes in between.
import { describe, expect, it } from '@jest/globals';
import { aSchedule, at, scheduleSpec, succeededAt } from '../testing/builders.ts';
import { decideSchedule } from './decide-schedule.ts';
import type { ObservedSchedule, ScheduleDecision } from './types.ts';

const rpoMet = (decision: ScheduleDecision) => decision.status.conditions?.find((condition) => condition.type === 'RPOMet');
const reasons = (decision: ScheduleDecision) => decision.actions.flatMap((action) => (action.type === 'RecordEvent' ? [action.event.reason] : []));

// Daily at 02:00 with a 6h objective: the objective is missed every day from 08:00:10 until the next backup.
const schedule = (runs = [succeededAt('app-1', '2025-01-01T02:00:10Z')]): ObservedSchedule =>
  aSchedule({ spec: scheduleSpec({ objectives: { rpo: '6h' } }), runs, status: { observedGeneration: 1, lastScheduleTime: '2025-01-01T02:00:00Z' } });

function reconcile(observed: ObservedSchedule, now: Date): [ScheduleDecision, ObservedSchedule] {
  const decision = decideSchedule(observed, now);
  return [decision, { ...observed, status: structuredClone(decision.status) }];
}

describe('RPOMet', () => {
  it('is True while the newest backup is younger than the objective, and requeues for exactly the flip', () => {
    const now = at('2025-01-01T03:17:42.250Z');
    const decision = decideSchedule(schedule(), now);
    expect(rpoMet(decision)).toMatchObject({
      status: 'True',
      reason: 'WithinObjective',
      message: 'newest successful backup app-1 holds data from 2025-01-01T02:00:10Z; the 6h objective is met until 2025-01-01T08:00:10Z',
    });
    expect(now.getTime() + decision.requeueAfterMs!).toBe(at('2025-01-01T08:00:10Z').getTime());
  });

  it('counts from the newest usable backup: a newer one that failed verification does not meet the objective', () => {
    const runs = [succeededAt('app-1', '2025-01-01T02:00:10Z'), succeededAt('app-2', '2025-01-02T02:00:10Z', { verified: 'False' })];
    const decision = decideSchedule(schedule(runs), at('2025-01-02T03:00:00Z'));
    expect(rpoMet(decision)).toMatchObject({
      status: 'False',
      reason: 'ObjectiveMissed',
      message: 'newest successful backup app-1 holds data from 2025-01-01T02:00:10Z; the 6h objective has been missed since 2025-01-01T08:00:10Z',
    });
  });

  it('changes nothing in status between two reconciles before the flip', () => {
    const [, written] = reconcile(schedule(), at('2025-01-01T03:00:00Z'));
    const [later] = reconcile(written, at('2025-01-01T08:00:09.999Z'));
    expect(later.statusChanged).toBe(false);
    expect(later.status).toEqual(written.status);
    expect(later.requeueAfterMs).toBe(1);
  });

  it('turns False at exactly the flip instant, with lastTransitionTime then and a Warning event', () => {
    const [, written] = reconcile(schedule(), at('2025-01-01T03:00:00Z'));
    const [flipped] = reconcile(written, at('2025-01-01T08:00:10Z'));
    expect(flipped.statusChanged).toBe(true);
    expect(rpoMet(flipped)).toMatchObject({
      status: 'False',
      reason: 'ObjectiveMissed',
      lastTransitionTime: '2025-01-01T08:00:10Z',
      message: 'newest successful backup app-1 holds data from 2025-01-01T02:00:10Z; the 6h objective has been missed since 2025-01-01T08:00:10Z',
    });
    expect(reasons(flipped)).toEqual(['ObjectiveMissed']);
    // Next wake-up: the next backup, not another flip.
    expect(flipped.requeueAfterMs).toBe(at('2025-01-02T02:00:00Z').getTime() - at('2025-01-01T08:00:10Z').getTime());
  });

  it('keeps lastTransitionTime while it stays False', () => {
    const [, missed] = reconcile(schedule(), at('2025-01-01T09:00:00Z'));
    const [again] = reconcile(missed, at('2025-01-01T12:00:00Z'));
    expect(again.statusChanged).toBe(false);
    expect(rpoMet(again)?.lastTransitionTime).toBe('2025-01-01T09:00:00Z');
  });

  it('turns True again when a newer backup succeeds, with a Normal event', () => {
    const [, missed] = reconcile(schedule(), at('2025-01-01T09:00:00Z'));
    const recovered = { ...missed, runs: [...missed.runs, succeededAt('app-2', '2025-01-01T09:30:00Z')] };
    const [decision] = reconcile(recovered, at('2025-01-01T09:31:00Z'));
    expect(rpoMet(decision)).toMatchObject({ status: 'True', lastTransitionTime: '2025-01-01T09:31:00Z' });
    expect(reasons(decision)).toEqual(['ObjectiveMet']);
    // The new flip (15:30) comes before the next backup (02:00 tomorrow).
    expect(decision.requeueAfterMs).toBe(at('2025-01-01T15:30:00Z').getTime() - at('2025-01-01T09:31:00Z').getTime());
  });

  it('measures from the completion time when a run has no snapshot time', () => {
    const run = succeededAt('app-1', '2025-01-01T02:00:10Z', { snapshotTime: undefined, completionTime: at('2025-01-01T02:30:00Z') });
    const decision = decideSchedule(schedule([run]), at('2025-01-01T03:00:00Z'));
    expect(rpoMet(decision)?.message).toContain('met until 2025-01-01T08:30:00Z');
  });

  it('is False with NoSuccessfulBackup when there is none yet', () => {
    const decision = decideSchedule(schedule([]), at('2025-01-01T03:00:00Z'));
    expect(rpoMet(decision)).toMatchObject({ status: 'False', reason: 'NoSuccessfulBackup', message: 'no successful backup yet; the objective is 6h' });
  });

  it('is absent when the schedule has no objective', () => {
    const decision = decideSchedule(aSchedule({ runs: [succeededAt('app-1', '2025-01-01T02:00:10Z')] }), at('2025-01-01T03:00:00Z'));
    expect(rpoMet(decision)).toBeUndefined();
  });
});
