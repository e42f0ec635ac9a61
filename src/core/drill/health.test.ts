// A DRDrill's Ready, Reconciling and Stalled, as kstatus reads them:
// InvalidSpec / ReferenceNotFound > LastRunFailed > FirstRunInProgress > Scheduled / OneOff /
// Suspended; and a second pass with nothing changed writes nothing.
import { describe, expect, it } from '@jest/globals';
import type { Problem } from '../../api/index.ts';
import { at } from '../testing/builders.ts';
import { aDrill, drillRun, drillSpec, finishedRun } from '../testing/drill-builders.ts';
import { healthLine, kstatusOf } from '../testing/kstatus.ts';
import { decideDrill } from './decide-drill.ts';
import type { ObservedDrill } from './types.ts';

const invalid: Problem[] = [{ field: 'spec.timeZone', message: 'unknown time zone "Europe/Berln"', severity: 'Error' }];
// A Friday: no drill is due (Sundays 04:00), so nothing is created in these passes.
const now = at('2025-01-10T12:00:00Z');
const passed = finishedRun('2025-01-05T04:00:00Z', 'Passed');
const failedRun = finishedRun('2025-01-05T04:00:00Z', 'Failed');
const status = { observedGeneration: 1, lastScheduleTime: '2025-01-05T04:00:00Z', nextRunTime: '2025-01-12T04:00:00Z' };

describe('DRDrill health', () => {
  it.each<[string, ObservedDrill, string, string, string]>([
    ['current: scheduled, no run yet', aDrill({ status }), 'Current', 'Ready=True/Scheduled', 'drills start on "0 4 * * 0" in UTC'],
    ['current: its newest run passed', aDrill({ status, runs: [finishedRun('2024-12-29T04:00:00Z', 'Failed'), passed] }), 'Current', 'Ready=True/Scheduled', 'drills start'],
    ['current: suspended', aDrill({ status, spec: drillSpec({ suspend: true }), runs: [passed] }), 'Current', 'Ready=True/Suspended', 'suspended'],
    ['current: one-off, its run passed', aDrill({ spec: drillSpec({ schedule: undefined }), status: { observedGeneration: 1, lastScheduleTime: '2025-01-01T00:00:00Z' }, runs: [passed] }), 'Current', 'Ready=True/OneOff', 'runs once'],
    ['current: a run in progress after one that passed', aDrill({ status, runs: [passed, drillRun('2025-01-10T11:00:00Z')] }), 'Current', 'Ready=True/Scheduled', 'drills start'],
    [
      'in progress: its first run is running',
      aDrill({ status, runs: [drillRun('2025-01-10T11:00:00Z', { result: 'Running' })] }),
      'InProgress',
      'Ready=False/FirstRunInProgress Reconciling=True',
      'DRDrillRun weekly-1736506800 is running; no drill has finished yet',
    ],
    [
      'failed: its newest run failed',
      aDrill({ status, runs: [finishedRun('2024-12-29T04:00:00Z', 'Passed'), failedRun] }),
      'Failed',
      'Ready=False/LastRunFailed Stalled=True',
      'weekly-1736049600 failed (CheckFailed): users-exist: expected at least 1, found 0',
    ],
    ['failed: its newest run failed, though another runs now', aDrill({ status, runs: [failedRun, drillRun('2025-01-10T11:00:00Z')] }), 'Failed', 'Ready=False/LastRunFailed Stalled=True', 'failed (CheckFailed)'],
    ['current: the failed run is being deleted', aDrill({ status, runs: [passed, { ...finishedRun('2025-01-06T04:00:00Z', 'Failed'), deleting: true }] }), 'Current', 'Ready=True/Scheduled', 'drills start'],
    ['failed: an invalid spec', aDrill({ status, problems: invalid, runs: [passed] }), 'Failed', 'Ready=False/InvalidSpec Stalled=True', 'spec.timeZone: unknown time zone'],
    ['failed: its BackupSchedule is missing', aDrill({ status, scheduleExists: false, runs: [failedRun] }), 'Failed', 'Ready=False/ReferenceNotFound Stalled=True', 'BackupSchedule "app" not found in namespace prod'],
  ])('%s', (_, observed, verdict, line, message) => {
    const decision = decideDrill(observed, now);
    expect(decision.actions.filter((action) => action.type === 'CreateRun')).toEqual([]);
    expect(kstatusOf({ metadata: { generation: observed.generation }, status: decision.status })).toBe(verdict);
    expect(healthLine(decision.status.conditions)).toBe(line);
    expect(decision.status.conditions?.find((c) => c.type === 'Ready')?.message).toContain(message);
    expect(decision.status.observedGeneration).toBe(observed.generation);
    expect(decideDrill({ ...observed, status: structuredClone(decision.status) }, now).statusChanged).toBe(false);
  });

  it('moves from in progress to failed when its first run fails, then to current when a later one passes', () => {
    const running = decideDrill(aDrill({ status, runs: [drillRun('2025-01-10T11:00:00Z', { result: 'Running' })] }), now);
    const failedFirst = finishedRun('2025-01-10T11:00:00Z', 'Failed');
    const afterFail = decideDrill(aDrill({ status: running.status, runs: [failedFirst] }), at('2025-01-10T12:30:00Z'));
    expect(healthLine(afterFail.status.conditions)).toBe('Ready=False/LastRunFailed Stalled=True');
    expect(afterFail.status.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime).toBe('2025-01-10T12:00:00Z');
    const later = finishedRun('2025-01-12T04:00:00Z', 'Passed');
    const healed = decideDrill(aDrill({ status: afterFail.status, runs: [failedFirst, later] }), at('2025-01-12T05:00:00Z'));
    expect(healthLine(healed.status.conditions)).toBe('Ready=True/Scheduled');
    expect(healed.status.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime).toBe('2025-01-12T05:00:00Z');
  });
});
