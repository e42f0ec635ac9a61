// metav1.Condition bookkeeping: lastTransitionTime moves only when a condition's status flips,
// so a reconcile that changes nothing writes nothing (STYLE #5).
import type { Condition } from '../api/index.ts';
import { formatTime } from './time.ts';

export interface ConditionInput {
  type: string;
  status: Condition['status'];
  reason: string;
  message: string;
  observedGeneration?: number;
}

/**
 * A new list with `input` set: an existing condition of that type keeps its place and, unless
 * its status flips, its lastTransitionTime; a new type is appended.
 */
export function setCondition(conditions: readonly Condition[] | undefined, input: ConditionInput, now: Date): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((condition) => condition.type === input.type);
  const previous = index === -1 ? undefined : list[index];
  const next: Condition = {
    type: input.type,
    status: input.status,
    ...(input.observedGeneration === undefined ? {} : { observedGeneration: input.observedGeneration }),
    lastTransitionTime: previous && previous.status === input.status ? previous.lastTransitionTime : formatTime(now),
    reason: input.reason,
    message: input.message,
  };
  if (index === -1) list.push(next);
  else list[index] = next;
  return list;
}

export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((condition) => condition.type !== type);
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((condition) => condition.type === type);
}

/** Whether a condition's status, reason or message differs: the moment to tell the user in an event. */
export function conditionChanged(before: Condition | undefined, after: Condition | undefined): boolean {
  if (!before || !after) return before !== after;
  return before.status !== after.status || before.reason !== after.reason || before.message !== after.message;
}
