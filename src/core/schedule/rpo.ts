// RPOMet: true while the newest successful backup's data (its snapshot time, else its completion)
// is younger than spec.objectives.rpo. The messages hold only fixed instants, never an age, so
// the condition changes exactly once, at `wakeAt`, and the schedule is requeued for that instant.
// The schedule's health (decide-schedule.ts) fails with ObjectiveMissed while `missed` is set:
// when RPOMet is False with ObjectiveMissed, or, with no successful backup yet, once the
// schedule is older than the objective (before that, a new schedule has not missed anything).
import { formatDuration, parseDuration } from '../../api/index.ts';
import type { ConditionInput } from '../conditions.ts';
import { dataTime, type ScheduleRunView } from '../schedule-run.ts';
import { formatTime } from '../time.ts';

export const RpoReasons = {
  WithinObjective: 'WithinObjective',
  ObjectiveMissed: 'ObjectiveMissed',
  NoSuccessfulBackup: 'NoSuccessfulBackup',
  InvalidSpec: 'InvalidSpec',
} as const;

export interface RpoState {
  condition: ConditionInput;
  /** The next instant this state changes: a True condition turns False, or with no successful backup the objective starts to count as missed. */
  wakeAt?: Date | undefined;
  /** Set while the objective counts as missed: what the schedule's Ready says (fixed instants only). */
  missed?: string | undefined;
}

/** Undefined when the schedule has no RPO (the condition is then removed). */
export function rpoState(
  rpo: string | undefined,
  newestSuccess: ScheduleRunView | undefined,
  createdAt: Date,
  now: Date,
  generation: number,
): RpoState | undefined {
  if (rpo === undefined) return undefined;
  const base = { type: 'RPOMet', observedGeneration: generation };
  const rpoMs = parseDuration(rpo);
  if (!rpoMs) {
    return { condition: { ...base, status: 'Unknown', reason: RpoReasons.InvalidSpec, message: `spec.objectives.rpo "${rpo}" is not a duration` } };
  }
  const objective = formatDuration(rpoMs);
  if (!newestSuccess) {
    const condition: ConditionInput = { ...base, status: 'False', reason: RpoReasons.NoSuccessfulBackup, message: `no successful backup yet; the objective is ${objective}` };
    const deadline = new Date(createdAt.getTime() + rpoMs);
    if (now.getTime() < deadline.getTime()) return { condition, wakeAt: deadline };
    return { condition, missed: `no successful backup since the schedule was created at ${formatTime(createdAt)}; the ${objective} objective has been missed since ${formatTime(deadline)}` };
  }
  const from = dataTime(newestSuccess);
  const flipsAt = new Date(from.getTime() + rpoMs);
  const newest = `newest successful backup ${newestSuccess.name} holds data from ${formatTime(from)}`;
  if (now.getTime() < flipsAt.getTime()) {
    return {
      condition: { ...base, status: 'True', reason: RpoReasons.WithinObjective, message: `${newest}; the ${objective} objective is met until ${formatTime(flipsAt)}` },
      wakeAt: flipsAt,
    };
  }
  const message = `${newest}; the ${objective} objective has been missed since ${formatTime(flipsAt)}`;
  return { condition: { ...base, status: 'False', reason: RpoReasons.ObjectiveMissed, message }, missed: message };
}
