// RPOMet: true while the newest successful backup's data (its snapshot time, else its completion)
// is younger than spec.objectives.rpo. The messages hold only fixed instants, never an age, so
// the condition changes exactly once, at `flipsAt`, and the schedule is requeued for that instant.
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
  /** When a True condition turns False; undefined when it is not True. */
  flipsAt?: Date | undefined;
}

/** Undefined when the schedule has no RPO (the condition is then removed). */
export function rpoState(
  rpo: string | undefined,
  newestSuccess: ScheduleRunView | undefined,
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
    return {
      condition: { ...base, status: 'False', reason: RpoReasons.NoSuccessfulBackup, message: `no successful backup yet; the objective is ${objective}` },
    };
  }
  const from = dataTime(newestSuccess);
  const flipsAt = new Date(from.getTime() + rpoMs);
  const newest = `newest successful backup ${newestSuccess.name} holds data from ${formatTime(from)}`;
  if (now.getTime() < flipsAt.getTime()) {
    return {
      condition: { ...base, status: 'True', reason: RpoReasons.WithinObjective, message: `${newest}; the ${objective} objective is met until ${formatTime(flipsAt)}` },
      flipsAt,
    };
  }
  return {
    condition: { ...base, status: 'False', reason: RpoReasons.ObjectiveMissed, message: `${newest}; the ${objective} objective has been missed since ${formatTime(flipsAt)}` },
  };
}
