// decideBackupRun: from the run, its schedule, its Jobs and the Secrets it names to the actions
// (finalizer, Jobs, events) and the status to write. Pure (STYLE #2). The steps: resolve what to
// back up; check the spec and the Secrets before any Job exists (a missing one waits, then fails:
// nothing crash-loops); one Job per source; when all succeeded, a Job writes the run manifest;
// then, optionally, a Job reads every artifact back (Verified).
import {
  ConditionReasons,
  errorsOf,
  formatBytes,
  formatDuration,
  validateBackupRun,
  type BackupRunStatus,
  type Condition,
} from '../../api/index.ts';
import { conditionChanged, findCondition, setCondition, type ConditionInput } from '../conditions.ts';
import { normal, warning, type RecordEvent } from '../events.ts';
import { backupJobName, buildBackupJob, buildFinalizeJob, buildVerifyJob, runLocation, stepJobName, type RunForJobs } from '../jobs/backup-job.ts';
import { Annotations, ARTIFACTS_FINALIZER } from '../metadata.ts';
import { compact, sameStatus } from '../same-status.ts';
import { earliest, formatTime, keepSpelling, latest, parseTime } from '../time.ts';
import { runManifestKey } from '../../contract/bucket-layout.ts';
import { decideDeletion } from './deletion.ts';
import { jobOutcome } from './job-outcome.ts';
import { resolveRun, type Resolution } from './resolve.ts';
import { isTerminal, progressOf, type FinalizeState, type Phase } from './run-progress.ts';
import { finalizeSummary } from './runner-result.ts';
import { missingSecretMessages, secretKeysNeeded } from './secrets.ts';
import { isFinal, sourceState, type SourceState } from './source-state.ts';
import type { BackupRunAction, BackupRunConfig, BackupRunDecision, ObservedBackupRun } from './types.ts';

export const RunConditionReasons = {
  Valid: 'Valid',
  InvalidSpec: ConditionReasons.InvalidSpec,
  ReferenceNotFound: ConditionReasons.ReferenceNotFound,
  Verifying: 'Verifying',
  ChecksumsMatch: 'ChecksumsMatch',
  VerificationFailed: 'VerificationFailed',
} as const;

export function decideBackupRun(observed: ObservedBackupRun, now: Date, config: BackupRunConfig): BackupRunDecision {
  const { run } = observed;
  if (run.metadata.deletionTimestamp) return decideDeletion(observed);

  const before: BackupRunStatus = run.status ?? {};
  const actions: BackupRunAction[] = [...finalizerActions(run.spec.deletionPolicy, run.metadata.finalizers ?? [])];
  const unchanged = (): BackupRunDecision => ({ actions, status: before, statusChanged: false });
  // Recreated from the catalog: its status comes from the manifest; it never starts Jobs.
  if (run.metadata.annotations?.[Annotations.importedFrom] && !before.phase) return unchanged();

  const name = run.metadata.name ?? '';
  const generation = run.metadata.generation ?? 0;
  const resolution = resolveRun(observed);
  const pass: Pass = { observed, now, config, before, generation, actions, conditions: before.conditions ?? [] };

  if (!resolution.ok) {
    if (isTerminal(before.phase)) return unchanged();
    return waitForReference(pass, 'ScheduleNotFound', resolution.message);
  }

  if (isTerminal(before.phase)) return afterTerminal(pass, resolution);

  const jobs = new Map(observed.jobs.map((job) => [job.name, job]));
  const recorded = new Map((before.artifacts ?? []).map((artifact) => [artifact.source, artifact]));
  const states = resolution.sources.map((source) => sourceState(source, name, recorded.get(source.name), jobs.get(backupJobName(name, source.name))));
  const started = states.some((state) => !state.needsJob);

  if (!started) {
    const invalid = errorsOf(validateBackupRun({ ...run.spec, sources: resolution.sources, storage: resolution.storage }));
    if (invalid.length > 0) {
      const message = invalid.map((problem) => `${problem.field.replace(/^spec/, resolution.origin)}: ${problem.message}`).join('; ');
      return failNow(pass, resolution, RunConditionReasons.InvalidSpec, message, 'InvalidSpec');
    }
    const missing = missingSecretMessages(secretKeysNeeded(resolution.sources, resolution.storage, resolution.origin), observed.secrets);
    if (missing.length > 0) return waitForReference(pass, 'SecretMissing', missing.join('; '), resolution);
  }

  const forJobs: RunForJobs = {
    name,
    namespace: run.metadata.namespace ?? '',
    uid: run.metadata.uid ?? '',
    schedule: resolution.schedule,
    storage: resolution.storage,
    jobTemplate: resolution.jobTemplate,
  };
  for (const state of states.filter((s) => s.needsJob)) {
    actions.push({ type: 'CreateJob', job: buildBackupJob(forJobs, state.source, config.runner) });
    actions.push(normal('JobCreated', `created Job ${state.jobName} to back up source ${state.source.name}`));
  }

  // The run manifest, once every source succeeded.
  const allSucceeded = states.every((state) => state.artifact.phase === 'Succeeded');
  const finalizeJob = jobs.get(stepJobName(name, 'finalize'));
  let finalize: { state: FinalizeState; message?: string | undefined; finishedAt?: Date | undefined } = { state: 'NotStarted' };
  let manifestKey = before.manifestKey;
  let snapshotFromManifest: Date | undefined;
  if (manifestKey) {
    finalize = { state: 'Succeeded' };
  } else if (allSucceeded) {
    if (!finalizeJob) {
      actions.push({ type: 'CreateJob', job: buildFinalizeJob(forJobs, states.map((state) => state.source.name), config.runner) });
      actions.push(normal('JobCreated', `created Job ${stepJobName(name, 'finalize')} to write the run manifest`));
    } else {
      const outcome = jobOutcome(finalizeJob);
      finalize = { state: outcome.state === 'Pending' ? 'Running' : outcome.state, message: outcome.message, finishedAt: outcome.finishedAt };
      if (outcome.state === 'Succeeded') {
        const summary = finalizeSummary(finalizeJob.result);
        manifestKey = summary.manifestKey ?? runManifestKey(resolution.storage.prefix ?? '', runLocation(forJobs));
        snapshotFromManifest = parseTime(summary.snapshotTime);
      }
    }
  }

  const sizeBytes = sumDefined(states.map((state) => state.artifact.sizeBytes));
  const progress = progressOf(states, finalize, generation, sizeBytes === undefined ? undefined : formatBytes(sizeBytes));
  const phase = progress.phase;
  let conditions = setCondition(pass.conditions, readyCondition(generation), now);
  conditions = setCondition(conditions, progress.complete, now);
  conditions = verification(pass, conditions, phase, forJobs);

  const startTime = earliest([parseTime(before.startTime), ...states.map((state) => state.startedAt)]);
  const completion = isTerminal(phase) ? (latest([finalize.finishedAt, ...states.map((state) => state.finishedAt)]) ?? now) : undefined;
  const snapshotTime = earliest([parseTime(before.snapshotTime), snapshotFromManifest, ...states.map((state) => state.snapshotTime)]);
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
    manifestKey,
    resolved: resolvedStatus(before, resolution),
    artifacts: states.map((state) => state.artifact),
    progress: isTerminal(phase) ? undefined : { sourcesDone: states.filter((state) => isFinal(state.artifact.phase)).length, sourcesTotal: states.length },
  });
  actions.push(...transitionEvents(before, status, states, resolution));
  return { actions, status, statusChanged: !sameStatus(before, status) };
}

interface Pass {
  observed: ObservedBackupRun;
  now: Date;
  config: BackupRunConfig;
  before: BackupRunStatus;
  generation: number;
  actions: BackupRunAction[];
  conditions: Condition[];
}

/**
 * A finished run changes no more, except that a Succeeded run is verified once (not one
 * recreated from the catalog: reading back every imported backup is for drills to ask for).
 */
function afterTerminal(pass: Pass, resolution: Extract<Resolution, { ok: true }>): BackupRunDecision {
  const { observed, before, actions } = pass;
  const { run } = observed;
  if (run.metadata.annotations?.[Annotations.importedFrom]) return { actions, status: before, statusChanged: false };
  const forJobs: RunForJobs = {
    name: run.metadata.name ?? '',
    namespace: run.metadata.namespace ?? '',
    uid: run.metadata.uid ?? '',
    schedule: resolution.schedule,
    storage: resolution.storage,
    jobTemplate: resolution.jobTemplate,
  };
  const conditions = verification(pass, pass.conditions, before.phase!, forJobs);
  const status = compact({ ...before, conditions });
  actions.push(...transitionEvents(before, status, [], { ...resolution, fromSchedule: false }));
  return { actions, status, statusChanged: !sameStatus(before, status) };
}

function finalizerActions(policy: 'Delete' | 'Retain', finalizers: readonly string[]): BackupRunAction[] {
  const has = finalizers.includes(ARTIFACTS_FINALIZER);
  if (policy === 'Delete' && !has) return [{ type: 'AddFinalizer', finalizer: ARTIFACTS_FINALIZER }];
  if (policy === 'Retain' && has) return [{ type: 'RemoveFinalizer', finalizer: ARTIFACTS_FINALIZER }];
  return [];
}

function readyCondition(generation: number): ConditionInput {
  return { type: 'Ready', status: 'True', reason: RunConditionReasons.Valid, message: 'sources and storage are set and every Secret they name exists', observedGeneration: generation };
}

/** A missing schedule or Secret: Pending while there is time to fix it, then Failed. */
function waitForReference(pass: Pass, eventReason: 'ScheduleNotFound' | 'SecretMissing', message: string, resolution?: Resolution): BackupRunDecision {
  const { observed, now, config, generation } = pass;
  const created = parseTime(observed.run.metadata.creationTimestamp) ?? now;
  const left = created.getTime() + config.missingReferenceGraceMs - now.getTime();
  if (left <= 0) {
    return failNow(pass, resolution, RunConditionReasons.ReferenceNotFound, message, eventReason);
  }
  const ready = { type: 'Ready', status: 'False' as const, reason: RunConditionReasons.ReferenceNotFound, message, observedGeneration: generation };
  let conditions = setCondition(pass.conditions, ready, now);
  conditions = setCondition(conditions, { type: 'Complete', status: 'False', reason: 'Pending', message: `waiting until ${formatTime(new Date(now.getTime() + left))} for the reference to be fixed`, observedGeneration: generation }, now);
  return finishEarly(pass, 'Pending', conditions, eventReason, resolution, Math.min(config.recheckAfterMs, left));
}

function failNow(pass: Pass, resolution: Resolution | undefined, readyReason: string, message: string, eventReason: string): BackupRunDecision {
  const { now, generation } = pass;
  let conditions = setCondition(pass.conditions, { type: 'Ready', status: 'False', reason: readyReason, message, observedGeneration: generation }, now);
  conditions = setCondition(conditions, { type: 'Complete', status: 'True', reason: 'Failed', message, observedGeneration: generation }, now);
  return finishEarly(pass, 'Failed', conditions, eventReason, resolution);
}

function finishEarly(
  pass: Pass,
  phase: Phase,
  conditions: Condition[],
  eventReason: string,
  resolution: Resolution | undefined,
  requeueAfterMs?: number,
): BackupRunDecision {
  const { before, generation, actions, now } = pass;
  const status: BackupRunStatus = compact({
    ...before,
    observedGeneration: generation,
    conditions,
    phase,
    completionTime: phase === 'Failed' ? keepSpelling(before.completionTime, parseTime(before.completionTime) ?? now) : before.completionTime,
    resolved: resolution ? resolvedStatus(before, resolution) : before.resolved,
  });
  const ready = findCondition(conditions, 'Ready');
  if (conditionChanged(findCondition(before.conditions, 'Ready'), ready)) actions.push(warning(eventReason, ready!.message));
  if (phase === 'Failed' && before.phase !== 'Failed') actions.push(warning('BackupFailed', ready!.message));
  return { actions, status, statusChanged: !sameStatus(before, status), requeueAfterMs };
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
  if (outcome.state === 'Succeeded') return set('True', RunConditionReasons.ChecksumsMatch, 'every artifact was read back; its size and SHA-256 match the manifest');
  if (outcome.state === 'Failed') {
    const reason = job.result && !job.result.ok && job.result.code === 'ChecksumMismatch' ? 'ChecksumMismatch' : RunConditionReasons.VerificationFailed;
    return set('False', reason, outcome.message ?? 'verification failed');
  }
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
