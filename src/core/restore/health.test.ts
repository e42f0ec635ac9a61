// A RestoreRequest's Ready, Reconciling and Stalled in every phase, as kstatus reads them: in
// progress until it finishes, current when every target was restored, failed otherwise; and a
// second pass with nothing changed writes nothing.
import { describe, expect, it } from '@jest/globals';
import type { RestoreRequest } from '../../api/index.ts';
import { at, failure, job, MINUTE } from '../testing/builders.ts';
import { healthLine, kstatusOf } from '../testing/kstatus.ts';
import { aCandidate, aRestore, bucketRestored, observedRestore, pgTarget, postgresRestored, restoreConfig as config } from '../testing/restore-builders.ts';
import { decideRestore } from './decide-restore.ts';
import type { ObservedRestore } from './types.ts';

const now = at('2025-01-02T10:00:30Z');
const late = new Date(at('2025-01-02T10:00:00Z').getTime() + 11 * MINUTE);

/** The request after one pass over `observed`, its status written. */
function after(observed: ObservedRestore, when = now): ObservedRestore {
  const restore: RestoreRequest = { ...observed.restore, status: decideRestore(observed, when, config).status };
  return { ...observed, restore };
}

const started = after(observedRestore(aRestore()));
const dbDone = job.complete('undo-db', postgresRestored());
const filesDone = job.complete('undo-files', bucketRestored());

describe('RestoreRequest health', () => {
  it.each<[string, () => ObservedRestore, Date, string, string, string]>([
    ['Pending: its Jobs not started', () => observedRestore(aRestore()), now, 'InProgress', 'Ready=False/Pending Reconciling=True', 'waiting for 2 Job(s) to start'],
    ['Running', () => ({ ...started, jobs: [dbDone, job.running('undo-files')] }), now, 'InProgress', 'Ready=False/Running Reconciling=True', '1 of 2 target(s) done'],
    [
      'Pending: waiting for its backup to finish',
      () => observedRestore(aRestore(), { runs: [aCandidate('app-1', '2025-01-01T02:00:00Z', { phase: 'Running' })] }),
      now,
      'InProgress',
      'Ready=False/ReferenceNotFound Reconciling=True',
      'app-1',
    ],
    ['Succeeded', () => ({ ...started, jobs: [dbDone, filesDone] }), now, 'Current', 'Ready=True/Succeeded', 'restored 2 target(s)'],
    [
      'PartiallyFailed',
      () => ({ ...started, jobs: [dbDone, job.failed('undo-files', failure('bucket exists', 'TargetNotEmpty'))] }),
      now,
      'Failed',
      'Ready=False/PartiallyFailed Stalled=True',
      'target files failed: bucket exists; 1 of 2 target(s) restored',
    ],
    [
      'Failed: every Job failed',
      () => ({ ...started, jobs: [job.failed('undo-db', failure('refused')), job.failed('undo-files', failure('refused'))] }),
      now,
      'Failed',
      'Ready=False/JobFailed Stalled=True',
      'target db failed: refused; target files failed: refused',
    ],
    [
      'Failed: the backup it names failed',
      () => observedRestore(aRestore(), { runs: [aCandidate('app-1', '2025-01-01T02:00:00Z', { phase: 'Failed' })] }),
      now,
      'Failed',
      'Ready=False/ReferenceNotFound Stalled=True',
      'only a Succeeded backup can be restored',
    ],
    [
      'Failed: a Secret still missing after the grace period',
      () => observedRestore(aRestore({ spec: { backup: { backupRunRef: { name: 'app-1' } }, targets: [pgTarget] } }), { secrets: [] }),
      late,
      'Failed',
      'Ready=False/ReferenceNotFound Stalled=True',
      'Secret "pg"',
    ],
  ])('%s', (_, observed, when, verdict, line, message) => {
    const first = after(observed(), when);
    expect(kstatusOf(first.restore)).toBe(verdict);
    expect(healthLine(first.restore.status?.conditions)).toBe(line);
    expect(first.restore.status?.conditions?.find((c) => c.type === 'Ready')?.message).toContain(message);
    expect(first.restore.status?.observedGeneration).toBe(1);
    expect(decideRestore(first, when, config).statusChanged).toBe(false);
  });

  it('a finished restore written before Ready followed kstatus (Ready True on a Failed request) reads failed after one pass', () => {
    const done = after({ ...started, jobs: [job.failed('undo-db', failure('refused')), job.failed('undo-files', failure('refused'))] });
    const conditions = (done.restore.status?.conditions ?? [])
      .filter((c) => c.type !== 'Stalled')
      .map((c) => (c.type === 'Ready' ? { ...c, status: 'True' as const, reason: 'Valid', message: 'the backup, the targets and every Secret they name check out' } : c));
    const old = { ...done, restore: { ...done.restore, status: { ...done.restore.status, conditions } } };
    expect(kstatusOf(old.restore)).toBe('Current');
    const upgraded = after(old);
    expect(healthLine(upgraded.restore.status?.conditions)).toBe('Ready=False/JobFailed Stalled=True');
    expect(decideRestore(upgraded, now, config).statusChanged).toBe(false);
  });
});
