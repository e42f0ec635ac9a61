// The state of one item of a Job set (a source to back up, a target to restore, a drill step),
// from its Job when there is one and from what status already recorded. A recorded Succeeded or
// Failed is final (a Job deleted by ttlSecondsAfterFinished keeps its result in status), and a
// Job that vanished after it was seen running is never recreated: that would silently do the
// work twice (a second backup, a second restore over a half-restored target).
import { jobOutcome, type JobWork } from './job-outcome.ts';
import type { ObservedJob } from './observed.ts';
import type { RunnerResult } from './runner-result.ts';

export type ItemPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

export const isFinal = (phase: ItemPhase | undefined): boolean => phase === 'Succeeded' || phase === 'Failed';

export interface ItemState {
  jobName: string;
  phase: ItemPhase;
  /** No Job yet and none should exist: create it (if the owner may start Jobs). */
  needsJob: boolean;
  /** The final phase comes from status, not from the Job: keep the recorded entry as it is. */
  fromRecord: boolean;
  startedAt?: Date | undefined;
  finishedAt?: Date | undefined;
  /** Why the item failed. */
  message?: string | undefined;
  /** The runner's result of a finished Job. */
  result?: RunnerResult | undefined;
}

export interface ItemInput {
  jobName: string;
  /** The phase status recorded for the item in an earlier pass. */
  recorded: ItemPhase | undefined;
  job: ObservedJob | undefined;
  /** What the Job does, for messages: "backup", "restore". */
  work: JobWork;
}

export function itemState({ jobName, recorded, job, work }: ItemInput): ItemState {
  const times = job ? timesOf(job, work) : {};
  if (isFinal(recorded)) return { jobName, phase: recorded!, needsJob: false, fromRecord: true, ...times };
  if (!job) {
    if (recorded === 'Running') {
      return {
        jobName,
        phase: 'Failed',
        needsJob: false,
        fromRecord: false,
        message: `Job ${jobName} disappeared before its result was recorded (deleted by hand, or ttlSecondsAfterFinished too short?); it is not started again, to avoid a second ${work}`,
      };
    }
    return { jobName, phase: 'Pending', needsJob: true, fromRecord: false };
  }
  const outcome = jobOutcome(job, work);
  return {
    jobName,
    phase: outcome.state,
    needsJob: false,
    fromRecord: false,
    ...times,
    ...(outcome.state === 'Failed' ? { message: outcome.message } : {}),
    ...(outcome.state === 'Succeeded' || outcome.state === 'Failed' ? { result: job.result } : {}),
  };
}

function timesOf(job: ObservedJob, work: JobWork) {
  const outcome = jobOutcome(job, work);
  return { startedAt: outcome.startedAt, finishedAt: outcome.finishedAt };
}
