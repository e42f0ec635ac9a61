// What the I/O layer must fetch before deciding on a run: the Secrets its sources and storage
// name (their keys only), and only when decideBackupRun will look at them: before the run's
// first Job, to check that they exist. A run with Jobs, a finished run and a run being deleted
// never read them, so their reconciles (one per Job and pod event, and every run at each
// resync) make no Secret requests.
import { Annotations } from '../metadata.ts';
import { isTerminal, secretNames } from '../job-set/index.ts';
import { resolveRun } from './resolve.ts';
import { secretKeysNeeded } from './secrets.ts';
import { sourceStatesOf } from './source-state.ts';
import type { ObservedBackupRun } from './types.ts';

export function secretNamesToObserve(observed: Pick<ObservedBackupRun, 'run' | 'schedule' | 'jobs'>): string[] {
  const { run } = observed;
  const before = run.status ?? {};
  if (run.metadata.deletionTimestamp || isTerminal(before.phase)) return [];
  if (run.metadata.annotations?.[Annotations.importedFrom] && !before.phase) return [];
  const resolution = resolveRun(observed);
  if (!resolution.ok) return [];
  // decideBackupRun checks the Secrets when every source still needs its Job.
  const firstJobs = sourceStatesOf(run, observed.jobs, resolution.sources).every((state) => state.needsJob);
  return firstJobs ? secretNames(secretKeysNeeded(resolution.sources, resolution.storage, resolution.origin)) : [];
}
