// One step of a drill run: a set of Jobs, one per source, driven by the shared Job-set item
// state (src/core/job-set). A step's Jobs are created together, in the pass that marks it
// Running; a step recorded as finished stays finished. A step Running whose Job is gone failed
// (a drill never creates a step's Job twice: a second scratch-create would hit "exists").
import type { V1Job } from '@kubernetes/client-node';
import { formatDuration, type DrillStepName } from '../../api/index.ts';
import { normal } from '../events.ts';
import { itemState, rollUp, type ItemState, type ObservedJob, type RunnerResult } from '../job-set/index.ts';
import { drillJobName, type DrillSource, type DrillStep } from '../jobs/drill-jobs.ts';
import { compact } from '../same-status.ts';
import { formatTime, latest, parseTime } from '../time.ts';
import type { DrillRunAction, DrillStepStatus } from './types.ts';

export const STEP_ORDER: readonly DrillStepName[] = ['SelectBackup', 'Provision', 'RestoreDatabase', 'RestoreBuckets', 'Verify', 'Cleanup'];

export interface StepItem {
  source: DrillSource;
  job: () => V1Job;
}

export interface StepOutcome {
  status: DrillStepStatus;
  /** Per source: its Job's state and the runner's result once finished. */
  items: { source: DrillSource; state: ItemState; result?: RunnerResult | undefined }[];
}

export interface StepInput {
  name: DrillStepName;
  kind: DrillStep;
  run: string;
  items: readonly StepItem[];
  recorded: DrillStepStatus | undefined;
  jobs: ReadonlyMap<string, ObservedJob>;
  now: Date;
  /** Stop the unfinished Jobs and fail the step (the drill's timeout passed). */
  stop?: string | undefined;
  actions: DrillRunAction[];
}

export const isStepFinal = (phase: DrillStepStatus['phase']): boolean => phase === 'Succeeded' || phase === 'Failed' || phase === 'Skipped';

export function skipped(name: DrillStepName, message: string): DrillStepStatus {
  return { name, phase: 'Skipped', message };
}

export function advanceStep(input: StepInput): StepOutcome {
  const { name, kind, run, items, recorded, jobs, now, actions } = input;
  const states = items.map((item) => {
    const jobName = drillJobName(run, kind, item.source.name);
    const job = jobs.get(jobName);
    const state = itemState({ jobName, recorded: recorded?.phase === 'Running' ? 'Running' : undefined, job, work: 'drill step' });
    return { item, state, result: job?.result };
  });
  const outcomes = states.map(({ item, state, result }) => ({ source: item.source, state, result }));
  if (recorded && isStepFinal(recorded.phase)) return { status: recorded, items: outcomes };
  if (items.length === 0) return { status: skipped(name, 'nothing to do for this scenario'), items: [] };

  if (!recorded || recorded.phase === 'Pending') {
    for (const { item, state } of states) {
      if (!state.needsJob) continue;
      actions.push({ type: 'CreateJob', job: item.job() });
    }
    actions.push(normal('StepStarted', `${name}: started ${items.length} Job(s)`));
    return { status: { name, phase: 'Running', startTime: formatTime(now) }, items: outcomes };
  }

  const startTime = recorded.startTime;
  if (input.stop) {
    const unfinished = states.filter(({ state }) => state.phase === 'Pending' || state.phase === 'Running');
    if (unfinished.length > 0) {
      for (const { state } of unfinished) if (!jobs.get(state.jobName)?.deleting) actions.push({ type: 'DeleteJob', name: state.jobName });
      return { status: finish(name, startTime, now, 'Failed', input.stop), items: outcomes };
    }
  }
  const roll = rollUp(states.map(({ state }) => state.phase));
  if (roll.phase === 'Pending' || roll.phase === 'Running') {
    return { status: { name, phase: 'Running', startTime, message: `${roll.done} of ${roll.total} Job(s) done` }, items: outcomes };
  }
  const end = latest(states.map(({ state }) => state.finishedAt)) ?? now;
  if (roll.phase === 'Succeeded') return { status: finish(name, startTime, end, 'Succeeded', `${roll.total} Job(s) succeeded`), items: outcomes };
  const failures = states
    .filter(({ state }) => state.phase === 'Failed')
    .map(({ item, state }) => `${item.source.name}: ${state.message ?? 'failed'}`)
    .join('; ');
  return { status: finish(name, startTime, end, 'Failed', failures), items: outcomes };
}

function finish(name: DrillStepName, startTime: string | undefined, end: Date, phase: 'Succeeded' | 'Failed', message: string): DrillStepStatus {
  const start = parseTime(startTime) ?? end;
  const ms = Math.max(0, end.getTime() - start.getTime());
  return compact({ name, phase, startTime, completionTime: formatTime(end), duration: formatDuration(ms), durationSeconds: Math.round(ms / 1000), message: clip(message) });
}

/** A completed step that took no Job (SelectBackup). */
export function instantStep(name: DrillStepName, start: Date, end: Date, phase: 'Succeeded' | 'Failed', message: string): DrillStepStatus {
  return finish(name, formatTime(start), end, phase, message);
}

export function clip(text: string, max = 1024): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** When each item's Job ran, for throughput: the first start and the last end. */
export function jobSpan(outcome: StepOutcome): { start?: Date | undefined; end?: Date | undefined } {
  const starts = outcome.items.map((item) => item.state.startedAt).filter((time): time is Date => time !== undefined);
  return { start: starts.sort((a, b) => a.getTime() - b.getTime())[0], end: latest(outcome.items.map((item) => item.state.finishedAt)) };
}

