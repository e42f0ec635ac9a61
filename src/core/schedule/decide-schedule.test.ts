// decideSchedule over a frozen clock: when runs are created, what is reported, what status says.
import { describe, expect, it } from '@jest/globals';
import type { Problem } from '../../api/index.ts';
import { ARTIFACTS_FINALIZER } from '../metadata.ts';
import { aSchedule, at, MINUTE, runningSince, scheduleSpec, succeededAt, HOUR } from '../testing/builders.ts';
import { decideSchedule } from './decide-schedule.ts';
import type { ObservedSchedule, ScheduleAction, ScheduleDecision } from './types.ts';

const created = (decision: ScheduleDecision) =>
  decision.actions.flatMap((action) => (action.type === 'CreateBackupRun' ? [action.run.metadata.name] : []));
const deleted = (decision: ScheduleDecision) =>
  decision.actions.flatMap((action) => (action.type === 'DeleteBackupRun' ? [`${action.name} (${action.cause})`] : []));
const reasons = (decision: ScheduleDecision) =>
  decision.actions.flatMap((action: ScheduleAction) => (action.type === 'RecordEvent' ? [action.event.reason] : []));
const event = (decision: ScheduleDecision, reason: string) =>
  decision.actions.find((action) => action.type === 'RecordEvent' && action.event.reason === reason) as { event: { message: string } } | undefined;

/** Feeds the decided status back, as the next reconcile would read it, with what else changed since (its runs). */
function afterWrite(observed: ObservedSchedule, decision: ScheduleDecision, changes: Partial<ObservedSchedule> = {}): ObservedSchedule {
  return { ...observed, ...changes, status: structuredClone(decision.status) };
}

// 02:00 UTC on 1 January 2025, in Unix seconds.
const JAN1_0200 = 1735696800;

describe('decideSchedule: when runs are created', () => {
  it('creates the run that is due, named after its time in Unix seconds', () => {
    const decision = decideSchedule(aSchedule(), at('2025-01-01T02:00:00.500Z'));
    expect(created(decision)).toEqual([`app-${JAN1_0200}`]);
    expect(decision.status.lastScheduleTime).toBe('2025-01-01T02:00:00Z');
    expect(decision.status.nextScheduleTime).toBe('2025-01-02T02:00:00Z');
    expect(decision.status.active).toEqual([{ name: `app-${JAN1_0200}` }]);
  });

  it('creates nothing before the first fire time and requeues for exactly that instant', () => {
    const decision = decideSchedule(aSchedule(), at('2025-01-01T01:30:00Z'));
    expect(created(decision)).toEqual([]);
    expect(decision.requeueAfterMs).toBe(30 * MINUTE);
    expect(decision.status.nextScheduleTime).toBe('2025-01-01T02:00:00Z');
  });

  it('never creates a run twice: after a restart with a stale status the existing run counts as scheduled', () => {
    const observed = aSchedule({ runs: [runningSince(`app-${JAN1_0200}`, '2025-01-01T02:00:01Z')] });
    observed.runs[0]!.scheduledTime = at('2025-01-01T02:00:00Z');
    const decision = decideSchedule(observed, at('2025-01-01T02:05:00Z'));
    expect(created(decision)).toEqual([]);
    expect(decision.status.lastScheduleTime).toBe('2025-01-01T02:00:00Z');
  });

  it('asks for the same name when the create is repeated (a second create is a harmless 409)', () => {
    const now = at('2025-01-01T02:00:30Z');
    expect(created(decideSchedule(aSchedule(), now))).toEqual(created(decideSchedule(aSchedule(), now)));
  });

  it('after three days down starts only the most recent due time and says two were missed', () => {
    const observed = aSchedule({ status: { observedGeneration: 1, lastScheduleTime: '2025-01-01T02:00:00Z' } });
    const decision = decideSchedule(observed, at('2025-01-04T03:00:00Z'));
    expect(created(decision)).toEqual([`app-${JAN1_0200 + 3 * 86400}`]);
    expect(event(decision, 'MissedSchedule')?.event.message).toBe(
      '2 scheduled time(s) from 2025-01-02T02:00:00Z to 2025-01-03T02:00:00Z got no run; only the most recent, 2025-01-04T02:00:00Z, may start',
    );
  });

  it('with startingDeadlineSeconds, still starts a run within its deadline', () => {
    const observed = aSchedule({ spec: scheduleSpec({ startingDeadlineSeconds: 600 }) });
    expect(created(decideSchedule(observed, at('2025-01-01T02:10:00Z')))).toEqual([`app-${JAN1_0200}`]);
  });

  it('with startingDeadlineSeconds, skips a run past its deadline and says so', () => {
    const observed = aSchedule({ spec: scheduleSpec({ startingDeadlineSeconds: 600 }) });
    const decision = decideSchedule(observed, at('2025-01-01T02:10:00.001Z'));
    expect(created(decision)).toEqual([]);
    expect(event(decision, 'MissedSchedule')?.event.message).toContain('was not started within startingDeadlineSeconds (600s)');
    expect(decision.status.nextScheduleTime).toBe('2025-01-02T02:00:00Z');
  });

  it('reports too many missed times instead of counting them all', () => {
    const observed = aSchedule({
      spec: scheduleSpec({ schedule: '* * * * *' }),
      status: { observedGeneration: 1, lastScheduleTime: '2025-01-01T00:00:00Z' },
    });
    const decision = decideSchedule(observed, at('2025-01-01T03:00:00Z'));
    expect(reasons(decision)).toContain('TooManyMissedSchedules');
    expect(created(decision)).toEqual([`app-${JAN1_0200 + 3600}`]);
  });

  it('creates nothing while suspended, shows no next time, and says why', () => {
    const decision = decideSchedule(aSchedule({ spec: scheduleSpec({ suspend: true }) }), at('2025-01-01T02:00:00Z'));
    expect(created(decision)).toEqual([]);
    expect(decision.status.nextScheduleTime).toBeUndefined();
    expect(decision.status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'Suspended' });
    expect(decision.requeueAfterMs).toBeUndefined();
  });

  it('on resume starts the most recent run due while it was suspended', () => {
    const observed = aSchedule({ status: { observedGeneration: 1, lastScheduleTime: '2025-01-01T02:00:00Z' } });
    expect(created(decideSchedule(observed, at('2025-01-05T09:00:00Z')))).toEqual([`app-${JAN1_0200 + 4 * 86400}`]);
  });
});

describe('decideSchedule: concurrency', () => {
  const active = runningSince('app-1735610400', '2024-12-31T02:00:00Z');

  it('Forbid holds the due run back while another runs, shows it as next, and says so', () => {
    const decision = decideSchedule(aSchedule({ runs: [active] }), at('2025-01-01T02:00:00Z'));
    expect(created(decision)).toEqual([]);
    expect(event(decision, 'RunDelayed')?.event.message).toBe(
      'the run due at 2025-01-01T02:00:00Z waits: app-1735610400 is still running (concurrencyPolicy Forbid)',
    );
    expect(decision.status.nextScheduleTime).toBe('2025-01-01T02:00:00Z');
    expect(decision.requeueAfterMs).toBe(24 * HOUR);
  });

  it('Forbid with a deadline requeues for the instant the held-back run is missed', () => {
    const observed = aSchedule({ runs: [active], spec: scheduleSpec({ startingDeadlineSeconds: 3600 }) });
    const decision = decideSchedule(observed, at('2025-01-01T02:00:00Z'));
    expect(decision.requeueAfterMs).toBe(HOUR + 1);
  });

  it('Forbid starts the held-back run late once the other one ended, within the deadline', () => {
    const finished = { ...active, phase: 'Succeeded' as const };
    const observed = aSchedule({ runs: [finished], spec: scheduleSpec({ startingDeadlineSeconds: 3600 }) });
    expect(created(decideSchedule(observed, at('2025-01-01T02:45:00Z')))).toEqual([`app-${JAN1_0200}`]);
  });

  it('Replace deletes the running run and creates the new one in the same pass', () => {
    const observed = aSchedule({ runs: [active], spec: scheduleSpec({ concurrencyPolicy: 'Replace' }) });
    const decision = decideSchedule(observed, at('2025-01-01T02:00:00Z'));
    expect(deleted(decision)).toEqual(['app-1735610400 (Replaced)']);
    expect(created(decision)).toEqual([`app-${JAN1_0200}`]);
    expect(decision.actions.findIndex((a) => a.type === 'DeleteBackupRun')).toBeLessThan(decision.actions.findIndex((a) => a.type === 'CreateBackupRun'));
    expect(decision.status.active).toEqual([{ name: `app-${JAN1_0200}` }]);
  });

  it('does not count a run being deleted as active', () => {
    const observed = aSchedule({ runs: [{ ...active, deleting: true }] });
    expect(created(decideSchedule(observed, at('2025-01-01T02:00:00Z')))).toEqual([`app-${JAN1_0200}`]);
  });
});

describe('decideSchedule: the run it creates', () => {
  it('copies sources, storage and job template, and is owned by the schedule', () => {
    const spec = scheduleSpec({ jobTemplate: { activeDeadlineSeconds: 600 } });
    const decision = decideSchedule(aSchedule({ spec }), at('2025-01-01T02:00:00Z'));
    const create = decision.actions.find((action) => action.type === 'CreateBackupRun');
    expect(create?.type === 'CreateBackupRun' && create.run).toEqual({
      apiVersion: 'lifeboat.dev/v1alpha1',
      kind: 'BackupRun',
      metadata: {
        name: `app-${JAN1_0200}`,
        namespace: 'prod',
        labels: { 'app.kubernetes.io/managed-by': 'lifeboat', 'lifeboat.dev/schedule': 'app' },
        annotations: { 'lifeboat.dev/scheduled-time': '2025-01-01T02:00:00Z' },
        ownerReferences: [{ apiVersion: 'lifeboat.dev/v1alpha1', kind: 'BackupSchedule', name: 'app', uid: 'uid-app', controller: true, blockOwnerDeletion: true }],
        // Created with the finalizer deletionPolicy Delete calls for: no patch before its Jobs.
        finalizers: ['lifeboat.dev/artifacts'],
      },
      spec: { scheduleRef: { name: 'app' }, sources: spec.sources, storage: spec.storage, jobTemplate: spec.jobTemplate, deletionPolicy: 'Delete' },
    });
    expect(ARTIFACTS_FINALIZER).toBe('lifeboat.dev/artifacts');
  });
});

describe('decideSchedule: an invalid spec', () => {
  const problems: Problem[] = [{ field: 'spec.timeZone', message: 'unknown time zone "Europe/Berln": did you mean Europe/Berlin?', severity: 'Error' }];

  it('becomes Ready=False InvalidSpec naming the field, creates and prunes nothing', () => {
    const observed = aSchedule({ problems, runs: [succeededAt('old', '2024-01-01T02:00:00Z'), succeededAt('new', '2024-12-31T02:00:00Z')], spec: scheduleSpec({ retention: { keepLast: 1 } }) });
    const decision = decideSchedule(observed, at('2025-01-01T02:00:00Z'));
    expect(decision.status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'InvalidSpec',
      message: 'spec.timeZone: unknown time zone "Europe/Berln": did you mean Europe/Berlin?',
    });
    expect(created(decision)).toEqual([]);
    expect(deleted(decision)).toEqual([]);
    expect(reasons(decision)).toEqual(['InvalidSpec']);
    expect(decision.status.nextScheduleTime).toBeUndefined();
  });

  it('does not repeat the InvalidSpec event when nothing changed', () => {
    const observed = aSchedule({ problems });
    const first = decideSchedule(observed, at('2025-01-01T02:00:00Z'));
    expect(reasons(decideSchedule(afterWrite(observed, first), at('2025-01-01T03:00:00Z')))).toEqual([]);
  });

  it('turns warnings into events once per generation', () => {
    const warningProblem: Problem = { field: 'spec.objectives.rpo', message: '1h is shorter than the longest gap', severity: 'Warning' };
    const observed = aSchedule({ problems: [warningProblem] });
    const first = decideSchedule(observed, at('2025-01-01T01:00:00Z'));
    expect(event(first, 'SpecWarning')?.event.message).toBe('spec.objectives.rpo: 1h is shorter than the longest gap');
    expect(reasons(decideSchedule(afterWrite(observed, first), at('2025-01-01T01:10:00Z')))).not.toContain('SpecWarning');
  });
});

describe('decideSchedule: status', () => {
  const runs = [succeededAt('app-1', '2024-12-30T02:00:10Z', { sizeBytes: 1000 }), succeededAt('app-2', '2024-12-31T02:00:10Z', { sizeBytes: 2000 })];

  it('reports the newest success, the count and the total size of the kept backups', () => {
    const decision = decideSchedule(aSchedule({ runs }), at('2025-01-01T01:00:00Z'));
    expect(decision.status).toMatchObject({
      observedGeneration: 1,
      lastSuccessfulRun: { name: 'app-2', snapshotTime: '2024-12-31T02:00:10Z', completionTime: '2024-12-31T02:01:10Z' },
      backupCount: 2,
      totalSizeBytes: 3000,
      totalSize: '2.93 KiB',
    });
  });

  it('counts only usable backups: not one that failed verification, nor one still being verified', () => {
    const withUnusable = [...runs, succeededAt('app-3', '2025-01-01T02:00:10Z', { sizeBytes: 4000, verified: 'False' }), succeededAt('app-4', '2025-01-01T02:30:10Z', { sizeBytes: 8000, verified: 'Unknown' })];
    const decision = decideSchedule(aSchedule({ runs: withUnusable }), at('2025-01-01T03:00:00Z'));
    expect(decision.status).toMatchObject({
      lastSuccessfulRun: { name: 'app-2', snapshotTime: '2024-12-31T02:00:10Z' },
      backupCount: 2,
      totalSizeBytes: 3000,
    });
  });

  it('lists a run read back after its backup as active, so the status changes once per run after its creation: when the read-back ends', () => {
    const running = runningSince('app-3', '2025-01-01T01:00:00Z');
    const started = decideSchedule(aSchedule({ runs: [...runs, running] }), at('2025-01-01T01:00:30Z'));
    expect(started.status.active).toEqual([{ name: 'app-3' }]);
    // The backup ended, its read-back runs: nothing the schedule shows has changed.
    const verifying = succeededAt('app-3', '2025-01-01T01:00:10Z', { sizeBytes: 4000, verified: 'Unknown' });
    const whileVerifying = decideSchedule(afterWrite(aSchedule({ runs: [...runs, running] }), started, { runs: [...runs, verifying] }), at('2025-01-01T01:01:30Z'));
    expect(whileVerifying.statusChanged).toBe(false);
    // Read back: one write, with the active list, the newest success and the count together.
    const verified = succeededAt('app-3', '2025-01-01T01:00:10Z', { sizeBytes: 4000, verified: 'True' });
    const done = decideSchedule(afterWrite(aSchedule({ runs: [...runs, verifying] }), whileVerifying, { runs: [...runs, verified] }), at('2025-01-01T01:02:00Z'));
    expect(done.statusChanged).toBe(true);
    expect(done.status.active).toBeUndefined();
    expect(done.status).toMatchObject({ lastSuccessfulRun: { name: 'app-3' }, backupCount: 3 });
  });

  it('does not hold a Forbid run back for a run being read back', () => {
    const verifying = succeededAt('app-3', '2024-12-31T02:00:10Z', { verified: 'Unknown' });
    const decision = decideSchedule(aSchedule({ runs: [verifying] }), at('2025-01-01T02:00:00Z'));
    expect(created(decision)).toEqual([`app-${JAN1_0200}`]);
    expect(decision.status.active).toEqual([{ name: `app-${JAN1_0200}` }, { name: 'app-3' }]);
  });

  it('is deep-equal to the observed status when nothing changed, and asks for no write', () => {
    const observed = aSchedule({ runs });
    const first = decideSchedule(observed, at('2025-01-01T01:00:00Z'));
    expect(first.statusChanged).toBe(true);
    const second = decideSchedule(afterWrite(observed, first), at('2025-01-01T01:30:00Z'));
    expect(second.statusChanged).toBe(false);
    expect(second.status).toEqual(first.status);
  });

  it('keeps a time spelled differently by someone else instead of rewriting it', () => {
    const observed = aSchedule({ status: { observedGeneration: 1, lastScheduleTime: '2025-01-01T03:00:00.000+01:00' } });
    const decision = decideSchedule(observed, at('2025-01-01T02:30:00Z'));
    expect(decision.status.lastScheduleTime).toBe('2025-01-01T03:00:00.000+01:00');
  });
});

describe('decideSchedule: retention', () => {
  it('deletes the runs retention prunes and says why', () => {
    const observed = aSchedule({
      spec: scheduleSpec({ retention: { keepLast: 1 } }),
      runs: [succeededAt('app-1', '2024-12-30T02:00:10Z'), succeededAt('app-2', '2024-12-31T02:00:10Z')],
    });
    const decision = decideSchedule(observed, at('2025-01-01T01:00:00Z'));
    expect(deleted(decision)).toEqual(['app-1 (Pruned)']);
    expect(event(decision, 'RunPruned')?.event.message).toBe('pruned app-1: not kept by keepLast 1');
    expect(decision.status.backupCount).toBe(1);
  });

  it('does not delete a run again while its finalizer removes the artifacts', () => {
    const observed = aSchedule({
      spec: scheduleSpec({ retention: { keepLast: 1 } }),
      runs: [succeededAt('app-1', '2024-12-30T02:00:10Z', { deleting: true }), succeededAt('app-2', '2024-12-31T02:00:10Z')],
    });
    expect(deleted(decideSchedule(observed, at('2025-01-01T01:00:00Z')))).toEqual([]);
  });
});
