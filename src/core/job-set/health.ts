// The health of a Job-set owner (BackupRun, RestoreRequest) from its phase and its Complete
// condition (docs/adr/0013-conditions-follow-kstatus.md): Pending and Running are in progress,
// Succeeded is current, Failed and PartiallyFailed have failed. Ready's message is Complete's, so
// the one line users read says the same in both.
import { ConditionReasons, type Condition } from '../../api/index.ts';
import { findCondition } from '../conditions.ts';
import { current, failed, inProgress, type Health } from '../health.ts';
import type { SetPhase } from './roll-up.ts';

interface CompleteLike {
  reason: string;
  message: string;
}

export function jobSetHealth(phase: SetPhase, complete: CompleteLike | undefined): Health {
  const message = complete?.message || `phase ${phase}`;
  switch (phase) {
    case 'Pending':
      return inProgress(ConditionReasons.Pending, message);
    case 'Running':
      return inProgress(ConditionReasons.Running, message);
    case 'Succeeded':
      return current(complete?.reason === ConditionReasons.Imported ? ConditionReasons.Imported : ConditionReasons.Succeeded, message);
    case 'PartiallyFailed':
      return failed(ConditionReasons.PartiallyFailed, message);
    case 'Failed':
      return failed(ConditionReasons.JobFailed, message);
  }
}

/**
 * The health of an owner that finished in an earlier pass, from the status it wrote. A failure
 * before any Job (halt: InvalidSpec, ReferenceNotFound) is told apart only by Ready's reason, so
 * a Failed owner whose Ready is False keeps what Ready says; this also brings a status written
 * before Ready followed kstatus (Ready True on a Failed run) to the new meaning.
 */
export function settledHealth(phase: SetPhase, conditions: readonly Condition[] | undefined): Health {
  const ready = findCondition(conditions, 'Ready');
  if (phase === 'Failed' && ready?.status === 'False') return failed(ready.reason, ready.message);
  return jobSetHealth(phase, findCondition(conditions, 'Complete'));
}
