// What the I/O layer must fetch before deciding on a run: the Secrets its sources and storage
// name (their keys only). Derived the same way decideBackupRun resolves the run.
import { secretNames } from '../job-set/index.ts';
import { resolveRun } from './resolve.ts';
import { secretKeysNeeded } from './secrets.ts';
import type { ObservedBackupRun } from './types.ts';

export function secretNamesToObserve(observed: Pick<ObservedBackupRun, 'run' | 'schedule'>): string[] {
  const resolution = resolveRun(observed);
  if (!resolution.ok) return [];
  return secretNames(secretKeysNeeded(resolution.sources, resolution.storage, resolution.origin));
}
