// Fixture builders for DRDrill's table tests: a weekly DatabaseLoss drill of the schedule "app"
// and its runs as the drill sees them. (DRDrillRun's builders are in drill-run-builders.ts.)
import { DRDrillSpec, type DRDrillRunStatus } from '../../api/index.ts';
import type { DrillRunView } from '../drill/run-view.ts';
import type { ObservedDrill } from '../drill/types.ts';
import { at, MINUTE } from './builders.ts';

export const scratchPostgres = { host: 'drill-pg.drills.svc', connectionSecret: { name: 'drill-pg' } };

/** Sundays at 04:00 UTC unless overridden; `schedule: undefined` makes a one-off drill. */
export function drillSpec(overrides: Record<string, unknown> = {}): DRDrillSpec {
  return DRDrillSpec.parse({
    scheduleRef: { name: 'app' },
    scenario: 'DatabaseLoss',
    objectives: { rto: '1h', rpo: '24h' },
    scratch: { postgres: scratchPostgres },
    schedule: '0 4 * * 0',
    ...overrides,
  });
}

export function aDrill(overrides: Partial<ObservedDrill> = {}): ObservedDrill {
  return {
    name: 'weekly',
    namespace: 'prod',
    uid: 'uid-weekly',
    generation: 1,
    // A Wednesday.
    creationTime: at('2025-01-01T00:00:00Z'),
    spec: drillSpec(),
    problems: [],
    scheduleExists: true,
    runs: [],
    ...overrides,
  };
}

/** A run created for `scheduled` (name and annotation), a second after it. */
export function drillRun(scheduled: string, overrides: Partial<DrillRunView> = {}, drill = 'weekly'): DrillRunView {
  const time = at(scheduled);
  return {
    name: `${drill}-${Math.floor(time.getTime() / 1000)}`,
    scheduledTime: time,
    creationTime: new Date(time.getTime() + 1000),
    deleting: false,
    ...overrides,
  };
}

const spelled = (time: Date) => time.toISOString().replace('.000Z', 'Z');

/** A run that started at `scheduled` and finished `minutes` later with `result`. */
export function finishedRun(scheduled: string, result: 'Passed' | 'Failed', overrides: Partial<DrillRunView> = {}, minutes = 40): DrillRunView {
  const start = at(scheduled);
  return drillRun(scheduled, {
    result,
    ...(result === 'Failed' ? { reason: 'CheckFailed', message: 'users-exist: expected at least 1, found 0' } : { objectives: 'Met' as const }),
    startTime: spelled(new Date(start.getTime() + 2000)),
    completionTime: spelled(new Date(start.getTime() + minutes * MINUTE)),
    rto: `${minutes - 1}m`,
    rpo: '2h11m',
    ...overrides,
  });
}

/** A DRDrillRun status as the run controller writes it, for the controller tests. */
export function runStatus(result: 'Running' | 'Passed' | 'Failed', start: string, end?: string): DRDrillRunStatus {
  return {
    result,
    startTime: start,
    ...(end ? { completionTime: end } : {}),
    ...(result === 'Failed' ? { reason: 'CheckFailed', message: 'users-exist: expected at least 1, found 0' } : {}),
    ...(result === 'Running' ? {} : { rto: { measured: '39m', measuredSeconds: 2340 }, rpo: { measured: '2h11m', measuredSeconds: 7860 }, objectives: 'Met' as const }),
  };
}
