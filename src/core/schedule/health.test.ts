// A BackupSchedule's Ready and Stalled, as kstatus reads them: InvalidSpec > ObjectiveMissed >
// LastBackupFailed > Scheduled / Suspended; an RPO objective with no backup yet counts as missed
// once the schedule is older than the objective, at exactly that instant; a second pass with
// nothing changed writes nothing.
import { describe, expect, it } from '@jest/globals';
import type { Problem } from '../../api/index.ts';
import { aRun, aSchedule, at, failedAt, HOUR, runningSince, scheduleSpec, succeededAt } from '../testing/builders.ts';
import { healthLine, kstatusOf } from '../testing/kstatus.ts';
import { decideSchedule } from './decide-schedule.ts';
import type { ObservedSchedule } from './types.ts';

const invalid: Problem[] = [{ field: 'spec.timeZone', message: 'unknown time zone "Europe/Berln"', severity: 'Error' }];
const rpo6h = scheduleSpec({ objectives: { rpo: '6h' } });
const now = at('2025-01-02T03:00:00Z');

function read(observed: ObservedSchedule, when: Date) {
  const decision = decideSchedule(observed, when);
  // The next pass sees the status written and the runs created, as the informers would show them.
  const created = decision.actions.flatMap((action) => (action.type === 'CreateBackupRun' ? [aRun(action.run.metadata.name!, { phase: undefined, creationTime: when })] : []));
  const written: ObservedSchedule = { ...observed, status: structuredClone(decision.status), runs: [...observed.runs, ...created] };
  return {
    decision,
    verdict: kstatusOf({ metadata: { generation: observed.generation }, status: decision.status }),
    line: healthLine(decision.status.conditions),
    message: decision.status.conditions?.find((c) => c.type === 'Ready')?.message,
    again: decideSchedule(written, when),
    written,
  };
}

describe('BackupSchedule health', () => {
  it.each<[string, ObservedSchedule, string, string, string]>([
    ['current: runs are created on its cron', aSchedule({ runs: [succeededAt('app-1', '2025-01-02T02:00:10Z')] }), 'Current', 'Ready=True/Scheduled', 'runs are created on "0 2 * * *" in UTC'],
    ['current: suspended', aSchedule({ spec: scheduleSpec({ suspend: true }) }), 'Current', 'Ready=True/Suspended', 'suspended: no new runs are created'],
    ['current: a run in progress after a success', aSchedule({ runs: [succeededAt('app-1', '2025-01-01T02:00:10Z'), runningSince('app-2', '2025-01-02T02:00:00Z')] }), 'Current', 'Ready=True/Scheduled', 'runs are created'],
    ['failed: an invalid spec', aSchedule({ problems: invalid }), 'Failed', 'Ready=False/InvalidSpec Stalled=True', 'spec.timeZone: unknown time zone "Europe/Berln"'],
    [
      'failed: the RPO objective missed',
      aSchedule({ spec: rpo6h, runs: [succeededAt('app-1', '2025-01-01T02:00:10Z')] }),
      'Failed',
      'Ready=False/ObjectiveMissed Stalled=True',
      'newest successful backup app-1 holds data from 2025-01-01T02:00:10Z; the 6h objective has been missed since 2025-01-01T08:00:10Z',
    ],
    [
      'failed: the newest finished run failed',
      aSchedule({ runs: [succeededAt('app-1', '2025-01-01T02:00:10Z'), failedAt('app-2', '2025-01-02T02:00:00Z')] }),
      'Failed',
      'Ready=False/LastBackupFailed Stalled=True',
      'the newest finished BackupRun app-2 failed at 2025-01-02T02:01:00Z; see its status, the schedule is Ready again when a newer backup succeeds',
    ],
    [
      'failed: the newest finished run partially failed, though a newer one is running',
      aSchedule({ runs: [failedAt('app-2', '2025-01-02T02:00:00Z', 'PartiallyFailed'), runningSince('app-3', '2025-01-02T02:30:00Z')] }),
      'Failed',
      'Ready=False/LastBackupFailed Stalled=True',
      'app-2 partially failed',
    ],
    [
      'failed: the newest finished run failed verification, though its phase is Succeeded',
      aSchedule({ runs: [succeededAt('app-1', '2025-01-01T02:00:10Z'), succeededAt('app-2', '2025-01-02T02:00:10Z', { verified: 'False' })] }),
      'Failed',
      'Ready=False/LastBackupFailed Stalled=True',
      'the newest finished BackupRun app-2 (completed at 2025-01-02T02:01:10Z) failed verification: its artifacts do not read back as its manifest says, so it cannot be restored; see its Verified condition',
    ],
    [
      'failed: a run still being verified does not clear the failure before it',
      aSchedule({ runs: [failedAt('app-1', '2025-01-02T01:00:00Z'), succeededAt('app-2', '2025-01-02T02:00:10Z', { verified: 'Unknown' })] }),
      'Failed',
      'Ready=False/LastBackupFailed Stalled=True',
      'app-1 failed',
    ],
    ['current: a run being verified after a success', aSchedule({ runs: [succeededAt('app-1', '2025-01-01T02:00:10Z', { verified: 'True' }), succeededAt('app-2', '2025-01-02T02:00:10Z', { verified: 'Unknown' })] }), 'Current', 'Ready=True/Scheduled', 'runs are created'],
    ['current: a newer run succeeded after a failed one', aSchedule({ runs: [failedAt('app-1', '2025-01-01T02:00:00Z'), succeededAt('app-2', '2025-01-02T02:00:10Z')] }), 'Current', 'Ready=True/Scheduled', 'runs are created'],
    ['current: the failed run is being deleted', aSchedule({ runs: [succeededAt('app-1', '2025-01-01T02:00:10Z'), { ...failedAt('app-2', '2025-01-02T02:00:00Z'), deleting: true }] }), 'Current', 'Ready=True/Scheduled', 'runs are created'],
    ['InvalidSpec comes before ObjectiveMissed', aSchedule({ spec: rpo6h, problems: invalid, runs: [succeededAt('app-1', '2024-12-01T02:00:10Z')] }), 'Failed', 'Ready=False/InvalidSpec Stalled=True', 'spec.timeZone'],
    [
      'ObjectiveMissed comes before LastBackupFailed',
      aSchedule({ spec: rpo6h, runs: [succeededAt('app-1', '2025-01-01T02:00:10Z'), failedAt('app-2', '2025-01-02T02:00:00Z')] }),
      'Failed',
      'Ready=False/ObjectiveMissed Stalled=True',
      'the 6h objective has been missed since',
    ],
  ])('%s', (_, observed, verdict, line, message) => {
    const result = read(observed, now);
    expect(result.verdict).toBe(verdict);
    expect(result.line).toBe(line);
    expect(result.message).toContain(message);
    expect(result.decision.status.observedGeneration).toBe(observed.generation);
    expect(result.again.statusChanged).toBe(false);
  });

  describe('an RPO objective and no successful backup yet', () => {
    const created = at('2025-01-01T00:00:00Z');
    const fresh = aSchedule({ spec: rpo6h, creationTime: created, runs: [] });

    it('is not missed while the schedule is younger than the objective: current, requeued for the instant it is', () => {
      const result = read(fresh, at('2025-01-01T01:00:00Z'));
      expect(result.verdict).toBe('Current');
      expect(result.decision.status.conditions?.find((c) => c.type === 'RPOMet')).toMatchObject({ status: 'False', reason: 'NoSuccessfulBackup' });
      // The cron's next run (02:00) comes first; once it is due the objective's deadline (06:00) is the next wake-up.
      expect(result.decision.requeueAfterMs).toBe(HOUR);
      const waiting = read({ ...result.written, runs: [runningSince('app-1735696800', '2025-01-01T02:00:00Z')] }, at('2025-01-01T05:00:00Z'));
      expect(waiting.verdict).toBe('Current');
      expect(waiting.decision.requeueAfterMs).toBe(HOUR);
    });

    it('counts as missed at exactly creation + rpo, with lastTransitionTime then and a message of fixed instants', () => {
      const { written } = read(fresh, at('2025-01-01T05:59:59.999Z'));
      const missed = read(written, at('2025-01-01T06:00:00Z'));
      expect(missed.verdict).toBe('Failed');
      expect(missed.line).toBe('Ready=False/ObjectiveMissed Stalled=True');
      expect(missed.message).toBe('no successful backup since the schedule was created at 2025-01-01T00:00:00Z; the 6h objective has been missed since 2025-01-01T06:00:00Z');
      expect(missed.decision.status.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime).toBe('2025-01-01T06:00:00Z');
      expect(read(missed.written, at('2025-01-01T07:00:00Z')).decision.statusChanged).toBe(false);
    });

    it('a successful backup makes it current again', () => {
      const { written } = read(fresh, at('2025-01-01T07:00:00Z'));
      const recovered = read({ ...written, runs: [succeededAt('app-1', '2025-01-01T07:30:00Z')] }, at('2025-01-01T07:31:00Z'));
      expect(recovered.verdict).toBe('Current');
      expect(recovered.line).toBe('Ready=True/Scheduled');
    });
  });
});
