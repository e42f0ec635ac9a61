// decideBackupRun: from the run, its schedule, its Jobs and the Secrets it names to the actions
// (finalizer, Jobs, events) and the status to write. Pure (STYLE #2). It reads top to bottom:
//   1. deleting: stop the Jobs, delete or keep the artifacts, release the finalizer;
//   2. recreated from the catalog: its status came from the manifest, it never starts Jobs;
//   3. what to back up and where to (the spec, or the schedule's, resolved once);
//   4. finished: only the one verification may still happen;
//   5. before the first Job: the spec and the Secrets must check out (else wait or fail);
//   6. one Job per source that has none;
//   7. when every source succeeded, the Job that writes the run manifest;
//   8. the roll-up into phase, conditions, times and events; then, optionally, verification.
// Ready, Reconciling and Stalled follow the phase (src/core/job-set/health.ts, docs/adr/0013).
// The Job-set pieces (item states, roll-up, the checks before start, halting) are shared with
// RestoreRequest and DRDrillRun: src/core/job-set/.
import {
  errorsOf,
  formatBytes,
  formatDuration,
  validateBackupRun,
  type BackupRunStatus,
  type Condition,
} from '../../api/index.ts';
import { runManifestKey } from '../../contract/bucket-layout.ts';
import { conditionChanged, findCondition, setCondition } from '../conditions.ts';
import { normal, warning, type RecordEvent } from '../events.ts';
import { applyHealth } from '../health.ts';
import {
  finalizerActions,
  halt,
  isFinal,
  isTerminal,
  jobOutcome,
  jobSetHealth,
  missingSecretMessages,
  preflight,
  settledHealth,
  waitForReference,
  type Blocked,
} from '../job-set/index.ts';
import { buildBackupJob, buildFinalizeJob, buildVerifyJob, runLocation, stepJobName, type RunForJobs } from '../jobs/backup-job.ts';
import { Annotations, ARTIFACTS_FINALIZER } from '../metadata.ts';
import { compact, sameStatus } from '../same-status.ts';
import { earliest, keepSpelling, latest, parseTime } from '../time.ts';
import { decideDeletion } from './deletion.ts';
import { resolveRun, type Resolution } from './resolve.ts';
import { progressOf, type FinalizeState, type Phase } from './run-progress.ts';
import { secretKeysNeeded } from './secrets.ts';
import { sourceStatesOf, type SourceState } from './source-state.ts';
import { finalizeSummary } from './summaries.ts';
import type { BackupRunAction, BackupRunConfig, BackupRunDecision, ObservedBackupRun } from './types.ts';
import { CHECKSUMS_MATCH_MESSAGE, failedVerificationReason, RunConditionReasons, verificationHealth } from './verification.ts';

export { RunConditionReasons } from './verification.ts';

type Resolved = Extract<Resolution, { ok: true }>;

interface Pass {
  observed: ObservedBackupRun;
  now: Date;
  config: BackupRunConfig;
  before: BackupRunStatus;
  generation: number;
  actions: BackupRunAction[];
}

interface FinalizeStep {
  state: FinalizeState;
  message?: string | undefined;
  finishedAt?: Date | undefined;
  manifestKey?: string | undefined;
  snapshotTime?: Date | undefined;
}

export function decideBackupRun(observed: ObservedBackupRun, now: Date, config: BackupRunConfig): BackupRunDecision {
  const { run } = observed;
  if (run.metadata.deletionTimestamp) return decideDeletion(observed);

  const before: BackupRunStatus = run.status ?? {};
  const actions: BackupRunAction[] = finalizerActions(ARTIFACTS_FINALIZER, run.spec.deletionPolicy === 'Delete', run.metadata.finalizers ?? []);
  const pass: Pass = { observed, now, config, before, generation: run.metadata.generation ?? 0, actions };
  const unchanged = (): BackupRunDecision => ({ actions, status: before, statusChanged: false });
  if (run.metadata.annotations?.[Annotations.importedFrom] && !before.phase) return unchanged();

  const resolution = resolveRun(observed);
  if (!resolution.ok) {
    if (isTerminal(before.phase)) return settled(pass);
    return stopped(pass, waitForReference(resolution.message, run.metadata.creationTimestamp, now, config), 'ScheduleNotFound');
  }
  const forJobs = runForJobs(pass, resolution);
  if (isTerminal(before.phase)) return afterTerminal(pass, resolution, forJobs);

  const states = sourceStatesOf(run, observed.jobs, resolution.sources);
  if (states.every((state) => state.needsJob)) {
    const check = checkBeforeStart(pass, resolution);
    if (check.verdict !== 'ready') return stopped(pass, check, check.verdict === 'invalid' ? 'InvalidSpec' : 'SecretMissing', resolution);
  }
  startJobs(pass, forJobs, states);
  const finalize = finalizeStep(pass, forJobs, states, resolution);
  return summarize(pass, states, finalize, resolution, forJobs);
}

function runForJobs({ observed }: Pass, resolution: Resolved): RunForJobs {
  const { metadata } = observed.run;
  return {
    name: metadata.name ?? '',
    namespace: metadata.namespace ?? '',
    uid: metadata.uid ?? '',
    schedule: resolution.schedule,
    storage: resolution.storage,
    jobTemplate: resolution.jobTemplate,
  };
}


/** The spec must be valid with the resolved sources and storage, and every Secret it names must exist. */
function checkBeforeStart({ observed, now, config }: Pass, resolution: Resolved) {
  const { run } = observed;
  const invalid = errorsOf(validateBackupRun({ ...run.spec, sources: resolution.sources, storage: resolution.storage })).map(
    (problem) => `${problem.field.replace(/^spec/, resolution.origin)}: ${problem.message}`,
  );
  const missing = missingSecretMessages(secretKeysNeeded(resolution.sources, resolution.storage, resolution.origin), observed.secrets);
  return preflight({ invalid, missing, createdAt: run.metadata.creationTimestamp, now, config });
}

/** The run cannot start its Jobs: Pending while there is time to fix a reference, else Failed. */
function stopped(pass: Pass, check: Blocked, eventReason: 'ScheduleNotFound' | 'SecretMissing' | 'InvalidSpec', resolution?: Resolution): BackupRunDecision {
  const { before, generation, actions, now } = pass;
  const stop = halt(before.conditions ?? [], check, now, generation);
  const status: BackupRunStatus = compact({
    ...before,
    observedGeneration: generation,
    conditions: stop.conditions,
    phase: stop.phase,
    completionTime: stop.phase === 'Failed' ? keepSpelling(before.completionTime, parseTime(before.completionTime) ?? now) : before.completionTime,
    resolved: resolution ? resolvedStatus(before, resolution) : before.resolved,
  });
  if (conditionChanged(findCondition(before.conditions, 'Ready'), findCondition(stop.conditions, 'Ready'))) actions.push(warning(eventReason, stop.message));
  if (stop.phase === 'Failed' && before.phase !== 'Failed') actions.push(warning('BackupFailed', stop.message));
  return { actions, status, statusChanged: !sameStatus(before, status), requeueAfterMs: stop.requeueAfterMs };
}

function startJobs({ config, actions }: Pass, run: RunForJobs, states: readonly SourceState[]): void {
  for (const state of states.filter((s) => s.needsJob)) {
    actions.push({ type: 'CreateJob', job: buildBackupJob(run, state.source, config.runner) });
    actions.push(normal('JobCreated', `created Job ${state.jobName} to back up source ${state.source.name}`));
  }
}

/** The run manifest is written by its own Job once every source succeeded; its key ends the run. */
function finalizeStep({ observed, before, config, actions }: Pass, run: RunForJobs, states: readonly SourceState[], resolution: Resolved): FinalizeStep {
  if (before.manifestKey) return { state: 'Succeeded', manifestKey: before.manifestKey };
  if (!states.every((state) => state.artifact.phase === 'Succeeded')) return { state: 'NotStarted' };
  const name = stepJobName(run.name, 'finalize');
  const job = observed.jobs.find((candidate) => candidate.name === name);
  if (!job) {
    actions.push({ type: 'CreateJob', job: buildFinalizeJob(run, states.map((state) => state.source.name), config.runner) });
    actions.push(normal('JobCreated', `created Job ${name} to write the run manifest`));
    return { state: 'NotStarted' };
  }
  const outcome = jobOutcome(job);
  const step: FinalizeStep = { state: outcome.state === 'Pending' ? 'Running' : outcome.state, message: outcome.message, finishedAt: outcome.finishedAt };
  if (outcome.state !== 'Succeeded') return step;
  const summary = finalizeSummary(job.result);
  return { ...step, manifestKey: summary.manifestKey ?? runManifestKey(resolution.storage.prefix ?? '', runLocation(run)), snapshotTime: parseTime(summary.snapshotTime) };
}

function summarize(pass: Pass, states: readonly SourceState[], finalize: FinalizeStep, resolution: Resolved, run: RunForJobs): BackupRunDecision {
  const { before, now, generation, actions } = pass;
  const sizeBytes = sumDefined(states.map((state) => state.artifact.sizeBytes));
  const { phase, complete } = progressOf(states, finalize, generation, sizeBytes === undefined ? undefined : formatBytes(sizeBytes));
  let conditions = setCondition(before.conditions, complete, now);
  conditions = verification(pass, conditions, phase, run);
  conditions = applyHealth(conditions, verificationHealth(phase, conditions) ?? jobSetHealth(phase, complete), now, generation);

  const startTime = earliest([parseTime(before.startTime), ...states.map((state) => state.startedAt)]);
  const completion = isTerminal(phase) ? (latest([finalize.finishedAt, ...states.map((state) => state.finishedAt)]) ?? now) : undefined;
  const snapshotTime = earliest([parseTime(before.snapshotTime), finalize.snapshotTime, ...states.map((state) => state.snapshotTime)]);
  const durationMs = startTime && completion ? Math.max(0, completion.getTime() - startTime.getTime()) : undefined;

  const status: BackupRunStatus = compact({
    observedGeneration: generation,
    conditions: conditions as Condition[],
    phase,
    startTime: keepSpelling(before.startTime, startTime),
    completionTime: keepSpelling(before.completionTime, completion),
    duration: durationMs === undefined ? undefined : formatDuration(durationMs),
    durationSeconds: durationMs === undefined ? undefined : Math.round(durationMs / 1000),
    snapshotTime: keepSpelling(before.snapshotTime, snapshotTime),
    sizeBytes,
    size: sizeBytes === undefined ? undefined : formatBytes(sizeBytes),
    manifestKey: finalize.manifestKey,
    resolved: resolvedStatus(before, resolution),
    artifacts: states.map((state) => state.artifact),
    progress: isTerminal(phase) ? undefined : { sourcesDone: states.filter((state) => isFinal(state.artifact.phase)).length, sourcesTotal: states.length },
  });
  actions.push(...transitionEvents(before, status, states, resolution));
  return { actions, status, statusChanged: !sameStatus(before, status) };
}

/**
 * A finished run changes no more, except that a Succeeded run is verified once (not one
 * recreated from the catalog: reading back every imported backup is for drills to ask for).
 */
function afterTerminal(pass: Pass, resolution: Resolved, run: RunForJobs): BackupRunDecision {
  const { observed, before, actions } = pass;
  if (observed.run.metadata.annotations?.[Annotations.importedFrom]) return settled(pass);
  const conditions = verification(pass, before.conditions ?? [], before.phase!, run);
  const status = settledStatus(pass, conditions);
  actions.push(...transitionEvents(before, status, [], { ...resolution, fromSchedule: false }));
  return { actions, status, statusChanged: !sameStatus(before, status) };
}

/** A finished run as it is, its health and observedGeneration brought up to date (a deletionPolicy edit bumps the generation). */
function settled(pass: Pass): BackupRunDecision {
  const status = settledStatus(pass, pass.before.conditions ?? []);
  return { actions: pass.actions, status, statusChanged: !sameStatus(pass.before, status) };
}

function settledStatus({ before, now, generation }: Pass, conditions: Condition[]): BackupRunStatus {
  const health = verificationHealth(before.phase!, conditions) ?? settledHealth(before.phase!, conditions);
  return compact({ ...before, observedGeneration: generation, conditions: applyHealth(conditions, health, now, generation) });
}

function verification(pass: Pass, conditions: Condition[], phase: Phase, run: RunForJobs): Condition[] {
  const { observed, config, now, generation, actions } = pass;
  if (!config.verify || phase !== 'Succeeded') return conditions;
  const recorded = findCondition(conditions, 'Verified');
  if (recorded && recorded.status !== 'Unknown') return conditions;
  const name = stepJobName(run.name, 'verify');
  const job = observed.jobs.find((candidate) => candidate.name === name);
  const set = (status: 'True' | 'False' | 'Unknown', reason: string, message: string) =>
    setCondition(conditions, { type: 'Verified', status, reason, message, observedGeneration: generation }, now);
  const verifying = 'reading every artifact back to compare its size and SHA-256 with the manifest';
  if (!job) {
    actions.push({ type: 'CreateJob', job: buildVerifyJob(run, config.runner) });
    actions.push(normal('JobCreated', `created Job ${name} to verify the artifacts`));
    return set('Unknown', RunConditionReasons.Verifying, verifying);
  }
  const outcome = jobOutcome(job);
  if (outcome.state === 'Succeeded') return set('True', RunConditionReasons.ChecksumsMatch, CHECKSUMS_MATCH_MESSAGE);
  if (outcome.state === 'Failed') return set('False', failedVerificationReason(job.result && !job.result.ok ? job.result.code : undefined), outcome.message ?? 'verification failed');
  return set('Unknown', RunConditionReasons.Verifying, verifying);
}

function resolvedStatus(before: BackupRunStatus, resolution: Resolution): BackupRunStatus['resolved'] {
  if (!resolution.ok || !resolution.fromSchedule) return before.resolved;
  return compact({
    schedule: resolution.schedule,
    sources: resolution.sources,
    storage: resolution.storage,
    jobTemplate: resolution.jobTemplate,
  });
}

function sumDefined(values: readonly (number | undefined)[]): number | undefined {
  const defined = values.filter((value): value is number => value !== undefined);
  return defined.length > 0 ? defined.reduce((sum, value) => sum + value, 0) : undefined;
}

function transitionEvents(before: BackupRunStatus, after: BackupRunStatus, states: readonly SourceState[], resolution: Resolution): RecordEvent[] {
  const events: RecordEvent[] = [];
  if (resolution.ok && resolution.fromSchedule && !before.resolved) {
    events.push(normal('SourcesResolved', `copied ${resolution.sources.length} source(s) and the storage from BackupSchedule ${resolution.schedule}`));
  }
  const recorded = new Map((before.artifacts ?? []).map((artifact) => [artifact.source, artifact]));
  for (const state of states) {
    if (isFinal(recorded.get(state.source.name)?.phase)) continue;
    const { artifact } = state;
    if (artifact.phase === 'Succeeded') {
      const where = artifact.key ? ` to ${artifact.key}` : '';
      events.push(normal('SourceSucceeded', `source ${artifact.source} backed up${artifact.size ? `: ${artifact.size}` : ''}${where}`));
    } else if (artifact.phase === 'Failed') {
      events.push(warning('SourceFailed', `source ${artifact.source} failed: ${artifact.message ?? 'no reason given'}`));
    }
  }
  if (after.phase !== before.phase && isTerminal(after.phase)) {
    const message = findCondition(after.conditions, 'Complete')?.message ?? '';
    if (after.phase === 'Succeeded') events.push(normal('BackupSucceeded', message));
    else if (after.phase === 'PartiallyFailed') events.push(warning('BackupPartiallyFailed', message));
    else events.push(warning('BackupFailed', message));
  }
  const verifiedBefore = findCondition(before.conditions, 'Verified');
  const verifiedAfter = findCondition(after.conditions, 'Verified');
  if (verifiedAfter && verifiedAfter.status !== verifiedBefore?.status) {
    if (verifiedAfter.status === 'True') events.push(normal('BackupVerified', verifiedAfter.message));
    if (verifiedAfter.status === 'False') events.push(warning('VerificationFailed', verifiedAfter.message));
  }
  return events;
}
