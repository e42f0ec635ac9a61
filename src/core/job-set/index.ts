// One mechanism for "run a set of runner Jobs for an owner and collect their results", shared
// by BackupRun, RestoreRequest and DRDrillRun: what is observed, each item's state, the roll-up
// into a phase, the checks before the first Job, and the actions the I/O layer carries out.
export type { ObservedJob, ObservedSecret } from './observed.ts';
export { itemState, isFinal, type ItemPhase, type ItemState } from './item-state.ts';
export { jobOutcome, type JobOutcome, type JobState, type JobWork } from './job-outcome.ts';
export { rollUp, isTerminal, type RollUp, type SetPhase } from './roll-up.ts';
export { halt, type Blocked, type Halt } from './halt.ts';
export { preflight, waitForReference, type Preflight, type PreflightConfig } from './preflight.ts';
export { finalizerActions, stopUnfinished, JOBS_STOPPING_RECHECK_MS, type Decision, type JobSetAction } from './actions.ts';
export { missingSecretMessages, postgresCredentialNeeds, s3CredentialNeeds, secretKeyNeed, secretNames, type SecretKeyNeed } from './secret-needs.ts';
export { optional, parseTerminationMessage, podTerminationChanged, runnerResultFromPods, succeededPodFinishedAt, summaryOf, type PodTermination, type RunnerResult } from './runner-result.ts';
export { jobSetHealth, settledHealth } from './health.ts';
