// The run's phase and its Complete condition from the sources' states and the finalize step.
import type { BackupRunStatus } from '../../api/index.ts';
import type { ConditionInput } from '../conditions.ts';
import { isFinal, type SourceState } from './source-state.ts';

export type Phase = NonNullable<BackupRunStatus['phase']>;

export const isTerminal = (phase: Phase | undefined): boolean => phase === 'Succeeded' || phase === 'PartiallyFailed' || phase === 'Failed';

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
  const complete = (status: 'True' | 'False', reason: string, message: string): ConditionInput => ({
    type: 'Complete',
    status,
    reason,
    message,
    observedGeneration: generation,
  });
  const total = states.length;
  const done = states.filter((state) => isFinal(state.artifact.phase)).length;
  const failed = states.filter((state) => state.artifact.phase === 'Failed').length;
  if (done < total) {
    const started = states.some((state) => state.artifact.phase !== 'Pending');
    return started
      ? { phase: 'Running', complete: complete('False', 'Running', `${done} of ${total} source(s) done`) }
      : { phase: 'Pending', complete: complete('False', 'Pending', `waiting for ${total} Job(s) to start`) };
  }
  if (failed === total) return { phase: 'Failed', complete: complete('True', 'Failed', failureSummary(states)) };
  if (failed > 0) {
    return {
      phase: 'PartiallyFailed',
      complete: complete('True', 'PartiallyFailed', `${failureSummary(states)}; ${total - failed} of ${total} source(s) succeeded, but the run is not a complete backup`),
    };
  }
  switch (finalize.state) {
    case 'NotStarted':
    case 'Running':
      return { phase: 'Running', complete: complete('False', 'Running', `${total} of ${total} source(s) done; writing the run manifest`) };
    case 'Failed':
      return {
        phase: 'Failed',
        complete: complete('True', 'Failed', `every source succeeded, but writing the run manifest failed: ${finalize.message ?? 'no reason given'}`),
      };
    case 'Succeeded':
      return {
        phase: 'Succeeded',
        complete: complete('True', 'Succeeded', `backed up ${total} source(s)${sizeText ? `, ${sizeText}` : ''}`),
      };
  }
}
