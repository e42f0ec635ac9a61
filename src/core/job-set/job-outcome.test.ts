// How a Job ended: from its conditions, or from a pod that succeeded before the Job controller
// (which batches pod updates) said so.
import { describe, expect, it } from '@jest/globals';
import { jobOutcome } from './job-outcome.ts';
import type { ObservedJob } from './observed.ts';

const ok = { ok: true as const, subcommand: 'postgres-restore', summary: {} };
const running: ObservedJob = { name: 'r-db', startTime: '2025-01-01T02:00:05Z', active: 1 };

describe('jobOutcome', () => {
  it('is Succeeded with the pod\'s finish time once a pod succeeded with an ok result, before the Job controller noted it', () => {
    expect(jobOutcome({ ...running, result: ok, podSucceededAt: '2025-01-01T02:01:34Z' })).toEqual({
      state: 'Succeeded',
      startedAt: new Date('2025-01-01T02:00:05Z'),
      finishedAt: new Date('2025-01-01T02:01:34Z'),
    });
  });

  it('takes the Job\'s own completion time once it has one', () => {
    const complete: ObservedJob = { ...running, active: 0, succeeded: 1, completionTime: '2025-01-01T02:01:35Z', conditions: [{ type: 'Complete', status: 'True' }] };
    expect(jobOutcome({ ...complete, result: ok, podSucceededAt: '2025-01-01T02:01:34Z' }).finishedAt).toEqual(new Date('2025-01-01T02:01:35Z'));
  });

  it('stays Running while no pod succeeded, or without the runner\'s ok result', () => {
    expect(jobOutcome({ ...running, result: ok }).state).toBe('Running');
    expect(jobOutcome({ ...running, podSucceededAt: '2025-01-01T02:01:34Z' }).state).toBe('Running');
  });

  it('leaves failures to the Job controller: a Failed condition wins', () => {
    const failed: ObservedJob = { ...running, conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', lastTransitionTime: '2025-01-01T02:02:00Z' }] };
    expect(jobOutcome({ ...failed, result: ok, podSucceededAt: '2025-01-01T02:01:34Z' }).state).toBe('Failed');
  });
});
