// The phase of a Job set from its items' phases: Pending until a Job started, Running until
// every item is final, then Succeeded, PartiallyFailed (some failed) or Failed (all failed).
// A kind with steps after its items (a BackupRun's manifest) decides what Succeeded leads to.
import { isFinal, type ItemPhase } from './item-state.ts';

export type SetPhase = 'Pending' | 'Running' | 'Succeeded' | 'PartiallyFailed' | 'Failed';

export const isTerminal = (phase: SetPhase | undefined): boolean => phase === 'Succeeded' || phase === 'PartiallyFailed' || phase === 'Failed';

export interface RollUp {
  phase: SetPhase;
  total: number;
  done: number;
  failed: number;
}

export function rollUp(phases: readonly ItemPhase[]): RollUp {
  const total = phases.length;
  const done = phases.filter(isFinal).length;
  const failed = phases.filter((phase) => phase === 'Failed').length;
  const counts = { total, done, failed };
  if (done < total) return { ...counts, phase: phases.some((phase) => phase !== 'Pending') ? 'Running' : 'Pending' };
  if (failed === total) return { ...counts, phase: 'Failed' };
  if (failed > 0) return { ...counts, phase: 'PartiallyFailed' };
  return { ...counts, phase: 'Succeeded' };
}
