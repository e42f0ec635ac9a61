// What a set of runner Jobs looks like to the deciding core: each Job as the API server reports
// it (with the runner's result read from its pods), and the Secrets the owner names (their keys
// only, never their values). Shared by every kind that runs Jobs: BackupRun, RestoreRequest,
// DRDrillRun.
import type { RunnerResult } from './runner-result.ts';

/** A Job of the owner (found by the owner's label), as the API server reports it. */
export interface ObservedJob {
  name: string;
  conditions?: { type: string; status: string; reason?: string | undefined; message?: string | undefined; lastTransitionTime?: string | undefined }[] | undefined;
  startTime?: string | undefined;
  completionTime?: string | undefined;
  active?: number | undefined;
  succeeded?: number | undefined;
  failed?: number | undefined;
  /** runnerResultFromPods() over the Job's pods; undefined while none has finished. */
  result?: RunnerResult | undefined;
  /**
   * succeededPodFinishedAt() over the Job's pods: when a pod of the Job succeeded. The Job
   * controller batches pod updates and notes the success up to a second later (jobOutcome).
   */
  podSucceededAt?: string | undefined;
  deleting?: boolean | undefined;
}

/** A Secret that exists, with the keys of its data. Never its values. */
export interface ObservedSecret {
  name: string;
  keys: string[];
}
