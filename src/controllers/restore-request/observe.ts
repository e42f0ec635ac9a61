// What decideRestore reads: the RestoreRequest (parsed), the BackupRuns of its namespace as
// candidates, its Jobs with the runner's result, and the Secrets it names (keys only).
import { BackupRun, RestoreRequest } from '../../api/index.ts';
import { Labels } from '../../core/index.ts';
import { restoreSecretNames, toCandidate, type BackupCandidate, type ObservedRestore } from '../../core/restore/index.ts';
import type { KubeApi } from '../../kube/kube-api.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { Informer } from '../../runtime/informer.ts';
import type { StoredRun } from '../informers.ts';
import { observeJobs, observeSecrets } from '../job-set/observe.ts';
import { parseOrFail } from '../parse.ts';

export type StoredRestore = RestoreRequest & KubeObject;

export interface RestoreInformers {
  restores: Informer<StoredRestore>;
  runs: Informer<StoredRun>;
  jobs: Informer<KubeObject>;
  pods: Informer<KubeObject>;
}

export async function observeRestore(client: KubeApi, informers: RestoreInformers, object: StoredRestore, signal: AbortSignal): Promise<ObservedRestore> {
  const namespace = object.metadata.namespace ?? '';
  const name = object.metadata.name ?? '';
  const restore = parseOrFail(RestoreRequest, object, `RestoreRequest ${namespace}/${name}`);
  const runs = candidates(informers.runs.list(namespace));
  const jobs = await observeJobs(client, informers, { namespace, label: Labels.restoreRequest, owner: name }, signal);
  const secrets = await observeSecrets(client, namespace, restoreSecretNames({ restore, runs }), signal);
  return { restore, runs, jobs, secrets };
}

/** Runs whose object does not parse are left out: the BackupRun controller reports them. */
function candidates(runs: readonly StoredRun[]): BackupCandidate[] {
  return runs.flatMap((run) => {
    const parsed = BackupRun.safeParse(run);
    return parsed.success ? [toCandidate(parsed.data)] : [];
  });
}
