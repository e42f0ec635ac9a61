// The conditions of an owner that cannot start its Jobs (yet): its health saying what to fix
// (in progress while it waits for a missing reference, failed once it gives up or when the spec
// cannot work), and Complete saying whether it still waits (Pending, with a requeue) or gave up
// (Failed). Every Job-set owner reports a blocked start the same way, so users and alerts read
// one shape.
import { ConditionReasons, type Condition } from '../../api/index.ts';
import { setCondition } from '../conditions.ts';
import { applyHealth, failed, inProgress, type Health } from '../health.ts';
import { formatTime } from '../time.ts';
import type { Preflight } from './preflight.ts';

export type Blocked = Exclude<Preflight, { verdict: 'ready' }>;

export interface Halt {
  phase: 'Pending' | 'Failed';
  conditions: Condition[];
  health: Health;
  /** The message users see: what to fix. */
  message: string;
  requeueAfterMs?: number | undefined;
}

export function halt(conditions: readonly Condition[], blocked: Blocked, now: Date, generation: number): Halt {
  const reason = blocked.verdict === 'invalid' ? ConditionReasons.InvalidSpec : ConditionReasons.ReferenceNotFound;
  if (blocked.verdict === 'waiting') {
    const health = inProgress(reason, blocked.message);
    let next = applyHealth(conditions, health, now, generation);
    next = setCondition(next, { type: 'Complete', status: 'False', reason: 'Pending', message: `waiting until ${formatTime(blocked.until)} for the reference to be fixed`, observedGeneration: generation }, now);
    return { phase: 'Pending', conditions: next, health, message: blocked.message, requeueAfterMs: blocked.requeueAfterMs };
  }
  const health = failed(reason, blocked.message);
  let next = applyHealth(conditions, health, now, generation);
  next = setCondition(next, { type: 'Complete', status: 'True', reason: 'Failed', message: blocked.message, observedGeneration: generation }, now);
  return { phase: 'Failed', conditions: next, health, message: blocked.message };
}
