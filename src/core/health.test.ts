// applyHealth: the three verdicts as kstatus reads them, lastTransitionTime that moves only on a
// flip, Reconciling and Stalled removed when no longer True, other conditions left alone.
import { describe, expect, it } from '@jest/globals';
import type { Condition } from '../api/index.ts';
import { setCondition } from './conditions.ts';
import { applyHealth, current, failed, inProgress } from './health.ts';
import { at } from './testing/builders.ts';
import { healthLine, kstatusOf } from './testing/kstatus.ts';

const t0 = at('2025-01-01T00:00:00Z');
const t1 = at('2025-01-01T01:00:00Z');
const t2 = at('2025-01-01T02:00:00Z');
const read = (conditions: Condition[], generation = 3) => kstatusOf({ metadata: { generation }, status: { observedGeneration: generation, conditions } });

describe('applyHealth', () => {
  it.each([
    [inProgress('Running', '1 of 2 source(s) done'), 'InProgress', 'Ready=False/Running Reconciling=True'],
    [failed('JobFailed', 'source db failed: no route to host'), 'Failed', 'Ready=False/JobFailed Stalled=True'],
    [current('Succeeded', 'backed up 2 source(s)'), 'Current', 'Ready=True/Succeeded'],
  ] as const)('%o reads %s', (health, verdict, line) => {
    const conditions = applyHealth([], health, t0, 3);
    expect(read(conditions)).toBe(verdict);
    expect(healthLine(conditions)).toBe(line);
    expect(conditions.every((condition) => condition.observedGeneration === 3 && condition.message === health.message)).toBe(true);
  });

  it('moves from in progress to failed to current, removing what is no longer True, keeping other conditions', () => {
    const complete = setCondition([], { type: 'Complete', status: 'False', reason: 'Running', message: 'running' }, t0);
    const running = applyHealth(complete, inProgress('Running', 'running'), t0, 1);
    const stalled = applyHealth(running, failed('JobFailed', 'broke'), t1, 1);
    expect(stalled.map((c) => c.type)).toEqual(['Complete', 'Ready', 'Stalled']);
    // Ready stayed False: its lastTransitionTime does not move, though reason and message did.
    expect(stalled.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'JobFailed', message: 'broke', lastTransitionTime: '2025-01-01T00:00:00Z' });
    const healed = applyHealth(stalled, current('Scheduled', 'fine'), t2, 2);
    expect(healed.map((c) => c.type)).toEqual(['Complete', 'Ready']);
    expect(healed.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: '2025-01-01T02:00:00Z', observedGeneration: 2 });
    expect(healed.find((c) => c.type === 'Complete')).toEqual(complete[0]);
  });

  it('applied again with the same verdict, changes nothing', () => {
    const once = applyHealth([], failed('InvalidSpec', 'spec.schedule: not a cron expression'), t0, 1);
    expect(applyHealth(once, failed('InvalidSpec', 'spec.schedule: not a cron expression'), t2, 1)).toEqual(once);
  });

  it('kstatus reads a status that lags the generation as in progress, whatever its conditions say', () => {
    const conditions = applyHealth([], current('Succeeded', 'done'), t0, 1);
    expect(kstatusOf({ metadata: { generation: 2 }, status: { observedGeneration: 1, conditions } })).toBe('InProgress');
    expect(kstatusOf({ metadata: { generation: 2, deletionTimestamp: '2025-01-01T00:00:00Z' }, status: { observedGeneration: 2, conditions } })).toBe('Terminating');
  });
});
