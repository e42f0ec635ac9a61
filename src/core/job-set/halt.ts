// The conditions of an owner that cannot start its Jobs (yet): Ready False saying what to fix,
// and Complete saying whether it still waits (Pending, with a requeue) or gave up (Failed).
// Every Job-set owner reports a blocked start the same way, so users and alerts read one shape.
import { ConditionReasons, type Condition } from '../../api/index.ts';
import { setCondition } from '../conditions.ts';
import { formatTime } from '../time.ts';
import type { Preflight } from './preflight.ts';

export type Blocked = Exclude<Preflight, { verdict: 'ready' }>;

export interface Halt {
  phase: 'Pending' | 'Failed';
  conditions: Condition[];
  /** The message users see: what to fix. */
  message: string;
  requeueAfterMs?: number | undefined;
}

export function halt(conditions: readonly Condition[], blocked: Blocked, now: Date, generation: number): Halt {
  const readyReason = blocked.verdict === 'invalid' ? ConditionReasons.InvalidSpec : ConditionReasons.ReferenceNotFound;
  const ready = { type: 'Ready', status: 'False' as const, reason: readyReason, message: blocked.message, observedGeneration: generation };
  let next = setCondition(conditions, ready, now);
  if (blocked.verdict === 'waiting') {
    next = setCondition(next, { type: 'Complete', status: 'False', reason: 'Pending', message: `waiting until ${formatTime(blocked.until)} for the reference to be fixed`, observedGeneration: generation }, now);
    return { phase: 'Pending', conditions: next, message: blocked.message, requeueAfterMs: blocked.requeueAfterMs };
  }
  next = setCondition(next, { type: 'Complete', status: 'True', reason: 'Failed', message: blocked.message, observedGeneration: generation }, now);
  return { phase: 'Failed', conditions: next, message: blocked.message };
}
