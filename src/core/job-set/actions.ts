// What the deciding core of a Job-set owner asks the I/O layer to do, and the decision it
// returns. The I/O layer (src/controllers/job-set/act.ts) carries the actions out in order,
// stopping at the first that fails, then writes the status once, only when statusChanged.
import type { V1Job } from '@kubernetes/client-node';
import type { RecordEvent } from '../events.ts';
import { jobOutcome } from './job-outcome.ts';
import type { ObservedJob } from './observed.ts';

export type JobSetAction =
  | { type: 'AddFinalizer'; finalizer: string }
  | { type: 'RemoveFinalizer'; finalizer: string }
  | { type: 'CreateJob'; job: V1Job }
  /** Foreground propagation: the Job stays until its pods are gone. */
  | { type: 'DeleteJob'; name: string }
  | RecordEvent;

export interface Decision<Status, Action = JobSetAction> {
  actions: Action[];
  status: Status;
  statusChanged: boolean;
  requeueAfterMs?: number | undefined;
}

/** Adds or removes a finalizer so that its presence matches `wanted`. */
export function finalizerActions(finalizer: string, wanted: boolean, finalizers: readonly string[]): JobSetAction[] {
  const has = finalizers.includes(finalizer);
  if (wanted && !has) return [{ type: 'AddFinalizer', finalizer }];
  if (!wanted && has) return [{ type: 'RemoveFinalizer', finalizer }];
  return [];
}

/** How often to look again while Jobs stop. */
export const JOBS_STOPPING_RECHECK_MS = 5_000;

/** The Jobs that have not finished, and the deletes that stop those not already stopping. */
export function stopUnfinished(jobs: readonly ObservedJob[]): { unfinished: ObservedJob[]; actions: JobSetAction[] } {
  const unfinished = jobs.filter((job) => ['Pending', 'Running'].includes(jobOutcome(job).state));
  return { unfinished, actions: unfinished.filter((job) => !job.deleting).map((job) => ({ type: 'DeleteJob', name: job.name })) };
}
