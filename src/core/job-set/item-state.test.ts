// One item of a Job set: its phase from its Job, or from what status recorded. A recorded final
// phase is kept whatever the Job says now or whether it still exists; a Job that vanished after
// it was seen running fails its item, and that item never asks for a Job again.
import { describe, expect, it } from '@jest/globals';
import { isFinal, itemState } from './item-state.ts';
import type { ObservedJob } from './observed.ts';

const JOB = 'undo-db';
const started = '2025-01-02T10:00:10Z';
const ended = '2025-01-02T10:01:30Z';
const ok = { ok: true as const, subcommand: 'postgres-restore', summary: { sizeBytes: 2048 } };
const refused = { ok: false as const, subcommand: 'postgres-restore', code: 'TargetNotEmpty', reason: 'database app_restored has 3 tables; set overwritePolicy to Clean' };

const running: ObservedJob = { name: JOB, startTime: started, active: 1 };
const succeeded: ObservedJob = { name: JOB, startTime: started, completionTime: ended, succeeded: 1, conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: ended }], result: ok };
const failed: ObservedJob = {
  name: JOB,
  startTime: started,
  failed: 1,
  conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', lastTransitionTime: ended }],
  result: refused,
};

describe('itemState', () => {
  it('asks for a Job when there is none and nothing was recorded, or only Pending (the create did not land yet)', () => {
    for (const recorded of [undefined, 'Pending'] as const) {
      expect(itemState({ jobName: JOB, recorded, job: undefined, work: 'restore' })).toEqual({ jobName: JOB, phase: 'Pending', needsJob: true, fromRecord: false });
    }
  });

  it('follows the Job while nothing final is recorded: Pending before it starts, then Running with its start', () => {
    expect(itemState({ jobName: JOB, recorded: 'Pending', job: { name: JOB }, work: 'restore' })).toMatchObject({ phase: 'Pending', needsJob: false, fromRecord: false });
    const state = itemState({ jobName: JOB, recorded: 'Pending', job: running, work: 'restore' });
    expect(state).toMatchObject({ phase: 'Running', needsJob: false, fromRecord: false, startedAt: new Date(started) });
    expect(state.result).toBeUndefined();
    expect(state.finishedAt).toBeUndefined();
  });

  it('takes a finished Job\'s phase, times and runner result; a failure carries the runner\'s reason', () => {
    expect(itemState({ jobName: JOB, recorded: 'Running', job: succeeded, work: 'restore' })).toEqual({
      jobName: JOB,
      phase: 'Succeeded',
      needsJob: false,
      fromRecord: false,
      startedAt: new Date(started),
      finishedAt: new Date(ended),
      result: ok,
    });
    const state = itemState({ jobName: JOB, recorded: 'Running', job: failed, work: 'restore' });
    expect(state).toMatchObject({ phase: 'Failed', fromRecord: false, finishedAt: new Date(ended), message: refused.reason, result: refused });
  });

  it.each([
    ['Succeeded', 'a failed Job', failed],
    ['Succeeded', 'a running Job', running],
    ['Succeeded', 'no Job (deleted by its TTL)', undefined],
    ['Failed', 'a succeeded Job', succeeded],
    ['Failed', 'a running Job', running],
    ['Failed', 'no Job (deleted by its TTL)', undefined],
  ] as const)('keeps a recorded %s over %s', (recorded, _what, job) => {
    const state = itemState({ jobName: JOB, recorded, job, work: 'restore' });
    expect(state).toMatchObject({ phase: recorded, needsJob: false, fromRecord: true });
    expect(state.result).toBeUndefined();
    expect(state.message).toBeUndefined();
  });

  it('fails an item whose Job vanished while it ran, saying so, and never asks for its Job again', () => {
    const vanished = itemState({ jobName: JOB, recorded: 'Running', job: undefined, work: 'restore' });
    expect(vanished).toMatchObject({ phase: 'Failed', needsJob: false, fromRecord: false });
    expect(vanished.message).toContain(`Job ${JOB} disappeared before its result was recorded`);
    expect(vanished.message).toContain('not started again, to avoid a second restore');
    expect(itemState({ jobName: JOB, recorded: 'Running', job: undefined, work: 'backup' }).message).toContain('a second backup');

    // The next passes read the Failed that pass recorded: final, still no Job asked for.
    for (let pass = 0; pass < 3; pass++) {
      expect(itemState({ jobName: JOB, recorded: vanished.phase, job: undefined, work: 'restore' })).toMatchObject({ phase: 'Failed', needsJob: false, fromRecord: true });
    }
  });

  it('isFinal: Succeeded and Failed only', () => {
    expect((['Pending', 'Running', 'Succeeded', 'Failed', undefined] as const).map(isFinal)).toEqual([false, false, true, true, false]);
  });
});
