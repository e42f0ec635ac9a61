// Health: the one verdict every kind's decide function reaches about its object, written as the
// conditions kstatus (sigs.k8s.io/cli-utils pkg/kstatus), Flux, Argo CD and kubectl wait read
// (docs/adr/0013-conditions-follow-kstatus.md). "Abnormal-true" polarity, as Flux uses it:
//   InProgress -> Ready=False, Reconciling=True (same reason and message on both)
//   Failed     -> Ready=False, Stalled=True
//   Current    -> Ready=True
// Reconciling and Stalled exist only while True; kstatus reads their absence as "not so".
// Each kind decides its Health from what it observed; this file alone turns it into conditions.
import { ConditionTypes, type Condition } from '../api/index.ts';
import { removeCondition, setCondition } from './conditions.ts';

export type HealthState = 'InProgress' | 'Failed' | 'Current';

export interface Health {
  state: HealthState;
  /** CamelCase, stable: users and alerts match on it (docs/api.md lists them per kind). */
  reason: string;
  /** What is going on or what to fix; it holds only fixed instants, so it changes only when the state does. */
  message: string;
}

export const inProgress = (reason: string, message: string): Health => ({ state: 'InProgress', reason, message });
export const failed = (reason: string, message: string): Health => ({ state: 'Failed', reason, message });
export const current = (reason: string, message: string): Health => ({ state: 'Current', reason, message });

/**
 * The conditions with `health` applied: Ready set, Reconciling and Stalled set while True and
 * removed otherwise; the other conditions are left as they are. lastTransitionTime moves only
 * when a condition's status flips (setCondition), so applying the same health again changes nothing.
 */
export function applyHealth(conditions: readonly Condition[] | undefined, health: Health, now: Date, generation: number): Condition[] {
  const { reason, message } = health;
  const set = (list: readonly Condition[], type: string, status: 'True' | 'False') => setCondition(list, { type, status, reason, message, observedGeneration: generation }, now);
  let list = set(conditions ?? [], ConditionTypes.Ready, health.state === 'Current' ? 'True' : 'False');
  list = health.state === 'InProgress' ? set(list, ConditionTypes.Reconciling, 'True') : removeCondition(list, ConditionTypes.Reconciling);
  list = health.state === 'Failed' ? set(list, ConditionTypes.Stalled, 'True') : removeCondition(list, ConditionTypes.Stalled);
  return list;
}
