// The run's phase and its Complete condition: the shared roll-up of its sources
// (src/core/job-set/roll-up.ts), then, when every source succeeded, the finalize step that
// writes the run manifest: only then is the run Succeeded.
import type { BackupRunStatus } from '../../api/index.ts';
import type { ConditionInput } from '../conditions.ts';
import { rollUp } from '../job-set/index.ts';
import type { SourceState } from './source-state.ts';

export type Phase = NonNullable<BackupRunStatus['phase']>;

export { isTerminal } from '../job-set/index.ts';

export type FinalizeState = 'NotStarted' | 'Running' | 'Succeeded' | 'Failed';

export interface Progress {
  phase: Phase;
  complete: ConditionInput;
}

export function failureSummary(states: readonly SourceState[]): string {
  return states
    .filter((state) => state.artifact.phase === 'Failed')
    .map((state) => `source ${state.source.name} failed: ${state.artifact.message ?? 'no reason given'}`)
    .join('; ');
}

export function progressOf(
  states: readonly SourceState[],
  finalize: { state: FinalizeState; message?: string | undefined },
  generation: number,
  sizeText: string | undefined,
): Progress {
  const complete = (status: 'True' | 'False', reason: string, message: string): ConditionInput => ({ type: 'Complete', status, reason, message, observedGeneration: generation });
  const roll = rollUp(states.map((state) => state.artifact.phase ?? 'Pending'));
  const { total, done, failed } = roll;
  switch (roll.phase) {
    case 'Pending':
      return { phase: 'Pending', complete: complete('False', 'Pending', `waiting for ${total} Job(s) to start`) };
    case 'Running':
      return { phase: 'Running', complete: complete('False', 'Running', `${done} of ${total} source(s) done`) };
    case 'Failed':
      return { phase: 'Failed', complete: complete('True', 'Failed', failureSummary(states)) };
    case 'PartiallyFailed':
      return {
        phase: 'PartiallyFailed',
        complete: complete('True', 'PartiallyFailed', `${failureSummary(states)}; ${total - failed} of ${total} source(s) succeeded, but the run is not a complete backup`),
      };
    case 'Succeeded':
      break;
  }
  switch (finalize.state) {
    case 'NotStarted':
    case 'Running':
      return { phase: 'Running', complete: complete('False', 'Running', `${total} of ${total} source(s) done; writing the run manifest`) };
    case 'Failed':
      return { phase: 'Failed', complete: complete('True', 'Failed', `every source succeeded, but writing the run manifest failed: ${finalize.message ?? 'no reason given'}`) };
    case 'Succeeded':
      return { phase: 'Succeeded', complete: complete('True', 'Succeeded', `backed up ${total} source(s)${sizeText ? `, ${sizeText}` : ''}`) };
  }
}
