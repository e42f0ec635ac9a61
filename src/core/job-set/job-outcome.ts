// How a Job ended, from its conditions (Complete / Failed, and the SuccessCriteriaMet /
// FailureTarget conditions that newer Kubernetes sets first) and the runner's result. A pod
// that succeeded with the runner's ok result is the Job's success already: the Job controller
// batches pod updates (one sync per second per Job) and says so up to a second later, which
// each step of a drill, and each restore, would otherwise wait for. Failures stay the Job
// controller's to declare: it decides about retries (backoffLimit, podFailurePolicy).
import { parseTime } from '../time.ts';
import type { ObservedJob } from './observed.ts';

export type JobState = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** What the Job does, for messages: "the backup needs longer". */
export type JobWork = 'backup' | 'restore' | 'drill step';

export interface JobOutcome {
  state: JobState;
  startedAt?: Date | undefined;
  finishedAt?: Date | undefined;
  /** One line for a failed Job: the runner's reason when it gave one. */
  message?: string | undefined;
}

function trueCondition(job: ObservedJob, ...types: string[]) {
  return job.conditions?.find((condition) => types.includes(condition.type) && condition.status === 'True');
}

export function jobOutcome(job: ObservedJob, work: JobWork = 'backup'): JobOutcome {
  const startedAt = parseTime(job.startTime);
  const complete = trueCondition(job, 'Complete', 'SuccessCriteriaMet');
  if (complete) {
    return { state: 'Succeeded', startedAt, finishedAt: parseTime(job.completionTime) ?? parseTime(complete.lastTransitionTime) };
  }
  const failed = trueCondition(job, 'Failed', 'FailureTarget');
  if (failed) {
    return { state: 'Failed', startedAt, finishedAt: parseTime(failed.lastTransitionTime), message: failureMessage(job, failed, work) };
  }
  if (job.podSucceededAt !== undefined && job.result?.ok === true) {
    return { state: 'Succeeded', startedAt, finishedAt: parseTime(job.podSucceededAt) };
  }
  return { state: startedAt ? 'Running' : 'Pending', startedAt };
}

function failureMessage(job: ObservedJob, condition: { reason?: string | undefined; message?: string | undefined }, work: JobWork): string {
  const runner = job.result && !job.result.ok ? job.result.reason : undefined;
  switch (condition.reason) {
    case 'DeadlineExceeded':
      return `the Job ran longer than its activeDeadlineSeconds and was stopped${runner ? ` (${runner})` : ''}; raise jobTemplate.activeDeadlineSeconds if the ${work} needs longer`;
    case 'BackoffLimitExceeded':
      return runner ?? `the runner failed ${job.failed ?? 'several'} time(s) without reporting why; see the logs of the pods of Job ${job.name}`;
    default:
      return runner ?? ([condition.reason, condition.message].filter(Boolean).join(': ') || `Job ${job.name} failed`);
  }
}
