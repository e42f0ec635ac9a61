// decideDrill: from a DRDrill, its runs and the clock to what to do (create a run, prune
// history, record events) and the status to write. Pure: the I/O layer observes and acts
// (STYLE #2). It reads top to bottom:
//   1. the spec is valid and the BackupSchedule exists (else no run starts);
//   2. firing (firing.ts): the one-off run, or the cron's, Forbid;
//   3. history (history.ts): finished runs beyond historyLimit;
//   4. the status: the run in progress, the newest run, the newest passed, LastRunPassed, and
//      the drill's health (Ready, Reconciling, Stalled; docs/adr/0013):
//      InvalidSpec / ReferenceNotFound > LastRunFailed > FirstRunInProgress > current.
import { ConditionReasons, errorsOf, type Condition, type DRDrillStatus, type Problem } from '../../api/index.ts';
import { conditionChanged, findCondition, removeCondition, setCondition } from '../conditions.ts';
import { normal, warning } from '../events.ts';
import { applyHealth, current, failed, inProgress, type Health } from '../health.ts';
import { compact, sameStatus } from '../same-status.ts';
import { formatTime, keepSpelling, latest, parseTime } from '../time.ts';
import { buildDrillRun } from './drill-run.ts';
import { decideDrillFire, timingOf } from './firing.ts';
import { pruneHistory } from './history.ts';
import { finishedAt, finishedRuns, isRunning, newestCreatedFirst, type DrillRunView } from './run-view.ts';
import { LAST_RUN_PASSED, lastRunPassedCondition, resultMessage, summaryOf } from './summary.ts';
import type { DrillAction, DrillDecision, ObservedDrill } from './types.ts';

export const DrillReasons = {
  Scheduled: 'Scheduled',
  OneOff: 'OneOff',
  Suspended: 'Suspended',
  InvalidSpec: ConditionReasons.InvalidSpec,
  ReferenceNotFound: ConditionReasons.ReferenceNotFound,
  LastRunFailed: ConditionReasons.LastRunFailed,
  FirstRunInProgress: ConditionReasons.FirstRunInProgress,
} as const;

export function decideDrill(observed: ObservedDrill, now: Date): DrillDecision {
  const { spec, generation } = observed;
  const before: DRDrillStatus = observed.status ?? {};
  const actions: DrillAction[] = [];
  const errors = errorsOf(observed.problems);

  // 1. The spec.
  if (before.observedGeneration !== generation) {
    for (const problem of observed.problems.filter((p) => p.severity === 'Warning')) {
      actions.push(warning('SpecWarning', `${problem.field}: ${problem.message}`));
    }
  }
  const blocked = specProblem(observed, errors);

  // 2. Firing.
  const fire = decideDrillFire(observed, now, blocked === undefined);
  actions.push(...fire.events);
  let created: DrillRunView | undefined;
  if (fire.fire) {
    const run = buildDrillRun(observed, spec, fire.fire);
    const name = run.metadata.name ?? '';
    created = { name, scheduledTime: fire.fire, creationTime: now, deleting: false };
    actions.push({ type: 'CreateRun', run });
    const why = timingOf(observed) ? `the drill due at ${formatTime(fire.fire)}` : 'the one run of a drill without a schedule';
    actions.push(normal('RunCreated', `created ${name} for ${why}`));
  }

  // 3. History.
  const prune = pruneHistory(observed.runs, spec.historyLimit);
  for (const { name, reason } of prune) {
    actions.push({ type: 'DeleteRun', name });
    actions.push(normal('RunPruned', `deleted ${name}: ${reason}`));
  }

  // 4. Status.
  const pruned = new Set(prune.map((entry) => entry.name));
  const live = [...observed.runs.filter((run) => !run.deleting && !pruned.has(run.name)), ...(created ? [created] : [])];
  const newest = [...live].sort(newestCreatedFirst)[0];
  const active = live.filter(isRunning).sort(newestCreatedFirst)[0];
  const finished = finishedRuns(live);
  const newestFinished = finished[0];
  const newestPassed = finished.find((run) => run.result === 'Passed');

  const health = blocked ?? runsHealth(observed, newestFinished, active);
  let conditions = applyHealth(before.conditions, health, now, generation);
  if (blocked && conditionChanged(findCondition(before.conditions, 'Ready'), findCondition(conditions, 'Ready'))) {
    actions.push(warning(blocked.reason === DrillReasons.InvalidSpec ? 'InvalidSpec' : 'ScheduleNotFound', blocked.message));
  }
  const resultBefore = findCondition(before.conditions, LAST_RUN_PASSED);
  conditions = newestFinished ? setCondition(conditions, lastRunPassedCondition(newestFinished, generation), now) : removeCondition(conditions, LAST_RUN_PASSED);
  if (newestFinished && conditionChanged(resultBefore, findCondition(conditions, LAST_RUN_PASSED)) && newlyFinished(newestFinished, before)) {
    const message = resultMessage(newestFinished);
    actions.push(newestFinished.result === 'Passed' ? normal('DrillPassed', message) : warning('DrillFailed', message));
  }

  const status: DRDrillStatus = compact({
    observedGeneration: generation,
    conditions: conditions as Condition[],
    nextRunTime: keepSpelling(before.nextRunTime, fire.nextRunTime),
    lastScheduleTime: keepSpelling(
      before.lastScheduleTime,
      latest([parseTime(before.lastScheduleTime), ...observed.runs.map((run) => run.scheduledTime), fire.fire]),
    ),
    active: active?.name,
    latest: newest ? summaryOf(newest) : undefined,
    lastPassed: newestPassed ? summaryOf(newestPassed) : undefined,
    lastPassedTime: newestPassed?.completionTime,
  });

  return {
    actions,
    status,
    statusChanged: !sameStatus(observed.status, status),
    requeueAfterMs: fire.wakeAt === undefined ? undefined : Math.max(0, fire.wakeAt.getTime() - now.getTime()),
    pruned: prune.map((entry) => entry.name),
  };
}

/** Why no drill can start: the spec cannot work, or its BackupSchedule does not exist. */
function specProblem(observed: ObservedDrill, errors: Problem[]): Health | undefined {
  if (errors.length > 0) return failed(DrillReasons.InvalidSpec, errors.map((problem) => `${problem.field}: ${problem.message}`).join('; '));
  if (!observed.scheduleExists) {
    const { scheduleRef } = observed.spec;
    return failed(
      DrillReasons.ReferenceNotFound,
      `BackupSchedule "${scheduleRef.name}" not found in namespace ${observed.namespace}: create it, or set spec.scheduleRef.name to an existing schedule; no drill starts until then`,
    );
  }
  return undefined;
}

/**
 * A drill whose newest finished run failed has failed (the messages are LastRunPassed's, so they
 * change only when the run does); one whose first run is still going is in progress; else it is
 * current, and says when it drills.
 */
function runsHealth(observed: ObservedDrill, newestFinished: DrillRunView | undefined, active: DrillRunView | undefined): Health {
  if (newestFinished?.result === 'Failed') return failed(DrillReasons.LastRunFailed, resultMessage(newestFinished));
  if (!newestFinished && active) return inProgress(DrillReasons.FirstRunInProgress, `DRDrillRun ${active.name} is running; no drill has finished yet`);
  if (observed.spec.suspend) return current(DrillReasons.Suspended, 'suspended: no new drill starts; one in progress finishes');
  const timing = timingOf(observed);
  if (!timing) {
    return current(DrillReasons.OneOff, `runs once, when created; to drill again, create a DRDrillRun with spec.drillRef.name ${observed.name}`);
  }
  return current(DrillReasons.Scheduled, `drills start on "${timing.schedule}" in ${timing.timeZone}`);
}

/**
 * Whether the status written before had not seen this run finish: it finished after every
 * finish the summaries recorded. Keeps DrillPassed/DrillFailed to one per finished run, also
 * when the newest result changes because a newer finished run was deleted.
 */
function newlyFinished(run: DrillRunView, before: DRDrillStatus): boolean {
  const result = before.latest?.result;
  const latestBefore = result === 'Passed' || result === 'Failed' ? before.latest?.completionTime : undefined;
  const seen = latest([parseTime(latestBefore), parseTime(before.lastPassedTime)]);
  return !seen || finishedAt(run).getTime() > seen.getTime();
}
