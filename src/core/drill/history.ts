// historyLimit: the newest `limit` finished runs stay (newest by completion), older finished
// ones are deleted, oldest first. Runs created by hand with drillRef to the drill count and go
// like the drill's own: the history is every execution of the drill. A run in progress or
// already being deleted is never touched. The newest run that passed stays even when it is
// older than the limit: the status's lastPassed and the last-passed metric are computed from it,
// and the alert "no drill passed for too long" must not lose its basis because drills failed.
import { finishedRuns, type DrillRunView } from './run-view.ts';

export interface HistoryPrune {
  name: string;
  reason: string;
}

export function pruneHistory(runs: readonly DrillRunView[], limit: number): HistoryPrune[] {
  const finished = finishedRuns(runs);
  const newestPassed = finished.find((run) => run.result === 'Passed');
  return finished
    .slice(limit)
    .filter((run) => run !== newestPassed)
    .reverse()
    .map((run) => ({ name: run.name, reason: `older than the newest ${limit} finished runs (historyLimit)` }));
}
