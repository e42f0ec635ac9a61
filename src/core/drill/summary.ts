// What the drill's status says about its runs: a short summary of one run, and LastRunPassed
// from the newest finished run. Everything is copied from the run's status as it is spelled
// there, and messages hold only what the run says, so they change only when the run does.
import { ConditionTypes, type DRDrillStatus } from '../../api/index.ts';
import type { ConditionInput } from '../conditions.ts';
import { compact } from '../same-status.ts';
import type { DrillRunView } from './run-view.ts';

export type DrillRunSummary = NonNullable<DRDrillStatus['latest']>;

export const LAST_RUN_PASSED = ConditionTypes.LastRunPassed;

export function summaryOf(run: DrillRunView): DrillRunSummary {
  return compact({
    name: run.name,
    result: run.result,
    reason: run.reason,
    startTime: run.startTime,
    completionTime: run.completionTime,
    rto: run.rto,
    rpo: run.rpo,
    objectives: run.objectives,
  });
}

const CAMEL_CASE = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
const MAX_MESSAGE = 1024;

/** True or False from the newest finished run, its reason as the condition's reason. */
export function lastRunPassedCondition(run: DrillRunView, generation: number): ConditionInput {
  const passed = run.result === 'Passed';
  const fallback = passed ? 'Passed' : 'Failed';
  const reason = run.reason !== undefined && CAMEL_CASE.test(run.reason) ? run.reason : fallback;
  return { type: LAST_RUN_PASSED, status: passed ? 'True' : 'False', reason, message: resultMessage(run), observedGeneration: generation };
}

/** "<run> passed: RTO 41m12s, RPO 2h11m, objectives Met", or "<run> failed (CheckFailed): <the run's message>". */
export function resultMessage(run: DrillRunView): string {
  const figures = [run.rto && `RTO ${run.rto}`, run.rpo && `RPO ${run.rpo}`, run.objectives && `objectives ${run.objectives}`].filter(Boolean).join(', ');
  const head = run.result === 'Passed' ? `${run.name} passed` : `${run.name} failed${run.reason ? ` (${run.reason})` : ''}`;
  const detail = run.result === 'Passed' ? figures : [run.message, figures].filter(Boolean).join('; ');
  const message = detail ? `${head}: ${detail}` : head;
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 3)}...` : message;
}
