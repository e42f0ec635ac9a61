// decideRestore: from a RestoreRequest, the BackupRuns it may restore, its Jobs and the Secrets
// it names to the actions and the status to write. Pure (STYLE #2). It reads top to bottom:
//   1. deleting: stop the Jobs, say what state each target was left in, release the finalizer;
//   2. finished: nothing changes any more;
//   3. the backup: chosen once (status.backup), never changed after;
//   4. before the first Job: the targets fit the backup, the Secrets exist (else wait or fail);
//   5. one Job per target that has none;
//   6. the roll-up into phase, conditions, times and events.
// Ready, Reconciling and Stalled follow the phase (src/core/job-set/health.ts, docs/adr/0013).
import type { Condition, RestoreRequestStatus } from '../../api/index.ts';
import { formatDuration } from '../../api/index.ts';
import { findCondition, setCondition } from '../conditions.ts';
import { normal, warning, type RecordEvent } from '../events.ts';
import { applyHealth } from '../health.ts';
import {
  finalizerActions,
  halt,
  isTerminal,
  jobSetHealth,
  missingSecretMessages,
  preflight,
  rollUp,
  settledHealth,
  waitForReference,
  type Blocked,
  type Preflight,
  type RollUp,
} from '../job-set/index.ts';
import { buildRestoreJob, restoreJobName } from '../jobs/restore-job.ts';
import { RESTORE_FINALIZER } from '../metadata.ts';
import { compact, sameStatus } from '../same-status.ts';
import { earliest, keepSpelling, latest, parseTime } from '../time.ts';
import { decideRestoreDeletion } from './deletion.ts';
import { selectBackup, type Selection } from './select-backup.ts';
import { identityOf, isEncrypted, restoreSecretNeeds, specWarnings, targetProblems } from './target-checks.ts';
import { destinationOf, targetState, type TargetState } from './target-state.ts';
import type { BackupCandidate, ObservedRestore, ResolvedBackup, RestoreAction, RestoreConfig, RestoreDecision } from './types.ts';

interface Pass {
  observed: ObservedRestore;
  now: Date;
  config: RestoreConfig;
  before: RestoreRequestStatus;
  generation: number;
  actions: RestoreAction[];
}

export function decideRestore(observed: ObservedRestore, now: Date, config: RestoreConfig): RestoreDecision {
  const { restore } = observed;
  if (restore.metadata.deletionTimestamp) return decideRestoreDeletion(observed);

  const before: RestoreRequestStatus = restore.status ?? {};
  const finished = isTerminal(before.phase);
  // Held while the restore may still run, so that deleting it stops its Jobs first.
  const actions: RestoreAction[] = finalizerActions(RESTORE_FINALIZER, !finished, restore.metadata.finalizers ?? []);
  const pass: Pass = { observed, now, config, before, generation: restore.metadata.generation ?? 0, actions };
  if (finished) return settled(pass);
  if (before.observedGeneration !== pass.generation) actions.push(...specWarnings(restore.spec));

  const states = targetStates(observed);
  const needJobs = states.filter((state) => state.item.needsJob);
  const started = needJobs.length < states.length;
  const selection = needJobs.length > 0 || !before.backup ? selectBackup(restore.spec.backup, observed.runs, before.backup?.name) : undefined;

  if (!started) {
    const check = checkBeforeStart(pass, selection!);
    if (check.verdict !== 'ready') return blocked(pass, check, selection);
  }
  if (selection?.ok) createJobs(pass, selection.run, needJobs);
  else if (selection) failUnstartable(needJobs, selection.message);
  return summarize(pass, states, selection);
}

function targetStates({ restore, jobs }: ObservedRestore): TargetState[] {
  const name = restore.metadata.name ?? '';
  const byName = new Map(jobs.map((job) => [job.name, job]));
  const recorded = new Map((restore.status?.targets ?? []).map((entry) => [entry.source, entry]));
  return restore.spec.targets.map((target) => {
    const jobName = restoreJobName(name, target.source);
    return targetState(target, jobName, recorded.get(target.source), byName.get(jobName));
  });
}

/** The backup exists and succeeded, the targets fit it, and every Secret is there. */
function checkBeforeStart({ observed, now, config }: Pass, selection: Selection): Preflight {
  const created = observed.restore.metadata.creationTimestamp;
  if (!selection.ok) return selection.wait ? waitForReference(selection.message, created, now, config) : { verdict: 'missing', message: selection.message };
  const { spec } = observed.restore;
  return preflight({
    invalid: targetProblems(spec, selection.run),
    missing: missingSecretMessages(restoreSecretNeeds(spec, selection.run), observed.secrets),
    createdAt: created,
    now,
    config,
  });
}

function blocked(pass: Pass, check: Blocked, selection: Selection | undefined): RestoreDecision {
  const { before, now, generation, actions } = pass;
  const stop = halt(before.conditions ?? [], check, now, generation);
  const status: RestoreRequestStatus = compact({
    ...before,
    observedGeneration: generation,
    conditions: stop.conditions,
    phase: stop.phase,
    backup: resolvedBackup(before, selection),
    completionTime: stop.phase === 'Failed' ? keepSpelling(before.completionTime, parseTime(before.completionTime) ?? now) : before.completionTime,
  });
  const readyBefore = findCondition(before.conditions, 'Ready');
  if (readyBefore?.message !== stop.health.message || readyBefore?.reason !== stop.health.reason) actions.push(warning(check.verdict === 'invalid' ? 'InvalidSpec' : 'ReferenceNotFound', stop.message));
  if (!before.backup && status.backup) actions.push(selectedEvent(status.backup));
  if (stop.phase === 'Failed') actions.push(warning('RestoreFailed', `nothing was restored: ${stop.message}`));
  return { actions, status, statusChanged: !sameStatus(before, status), requeueAfterMs: stop.requeueAfterMs };
}

/** A finished restore changes no more; its health and observedGeneration are kept up to date. */
function settled({ before, now, generation, actions }: Pass): RestoreDecision {
  const conditions = applyHealth(before.conditions, settledHealth(before.phase!, before.conditions), now, generation);
  const status: RestoreRequestStatus = compact({ ...before, observedGeneration: generation, conditions });
  return { actions, status, statusChanged: !sameStatus(before, status) };
}

function createJobs({ observed, config, actions }: Pass, run: BackupCandidate, needJobs: readonly TargetState[]): void {
  const { restore } = observed;
  const owner = {
    name: restore.metadata.name ?? '',
    namespace: restore.metadata.namespace ?? '',
    uid: restore.metadata.uid ?? '',
    jobTemplate: restore.spec.jobTemplate,
  };
  const identity = isEncrypted(restore.spec, run) ? identityOf(restore.spec, run.storage) : undefined;
  for (const state of needJobs) {
    actions.push({ type: 'CreateJob', job: buildRestoreJob(owner, state.target, { run: run.name, schedule: run.schedule, storage: run.storage!, identity }, config.runner) });
    actions.push(normal('JobCreated', `created Job ${state.item.jobName} to restore source ${state.target.source} into ${destinationOf(state.target)}`));
    state.entry = { ...state.entry, phase: 'Pending' };
  }
}

/** A restore that started, then lost its backup before every Job existed (a crash in between). */
function failUnstartable(needJobs: readonly TargetState[], message: string): void {
  for (const state of needJobs) state.entry = { ...state.entry, phase: 'Failed', message: `not started: ${message}` };
}

function summarize(pass: Pass, states: readonly TargetState[], selection: Selection | undefined): RestoreDecision {
  const { before, now, generation, actions } = pass;
  const entries = states.map((state) => state.entry);
  const roll = rollUp(entries.map((entry) => entry.phase ?? 'Pending'));
  const complete = completeCondition(roll, entries, generation);
  let conditions: Condition[] = applyHealth(before.conditions, jobSetHealth(roll.phase, complete), now, generation);
  conditions = setCondition(conditions, complete, now);

  const startTime = earliest([parseTime(before.startTime), ...states.map((state) => state.item.startedAt), ...entries.map((entry) => parseTime(entry.startTime))]);
  const completion = isTerminal(roll.phase) ? (latest(entries.map((entry) => parseTime(entry.completionTime))) ?? now) : undefined;
  const durationMs = startTime && completion ? Math.max(0, completion.getTime() - startTime.getTime()) : undefined;
  const status: RestoreRequestStatus = compact({
    observedGeneration: generation,
    conditions,
    phase: roll.phase,
    backup: resolvedBackup(before, selection),
    startTime: keepSpelling(before.startTime, startTime),
    completionTime: keepSpelling(before.completionTime, completion),
    duration: durationMs === undefined ? undefined : formatDuration(durationMs),
    durationSeconds: durationMs === undefined ? undefined : Math.round(durationMs / 1000),
    targets: entries,
  });
  actions.push(...transitionEvents(before, status));
  return { actions, status, statusChanged: !sameStatus(before, status) };
}

function completeCondition(roll: RollUp, entries: RestoreRequestStatus['targets'] & object, generation: number) {
  const failures = entries.filter((entry) => entry.phase === 'Failed').map((entry) => `target ${entry.source} failed: ${entry.message ?? 'no reason given'}`).join('; ');
  const base = { type: 'Complete', observedGeneration: generation };
  switch (roll.phase) {
    case 'Pending':
      return { ...base, status: 'False' as const, reason: 'Pending', message: `waiting for ${roll.total} Job(s) to start` };
    case 'Running':
      return { ...base, status: 'False' as const, reason: 'Running', message: `${roll.done} of ${roll.total} target(s) done` };
    case 'Succeeded':
      return { ...base, status: 'True' as const, reason: 'Succeeded', message: `restored ${roll.total} target(s); every artifact's checksum matched` };
    case 'PartiallyFailed':
      return { ...base, status: 'True' as const, reason: 'PartiallyFailed', message: `${failures}; ${roll.total - roll.failed} of ${roll.total} target(s) restored` };
    case 'Failed':
      return { ...base, status: 'True' as const, reason: 'Failed', message: failures };
  }
}

function resolvedBackup(before: RestoreRequestStatus, selection: Selection | undefined): ResolvedBackup | undefined {
  if (before.backup || !selection?.ok) return before.backup;
  const { run } = selection;
  return compact({
    name: run.name,
    schedule: run.schedule,
    manifestKey: run.manifestKey,
    snapshotTime: run.snapshotTime,
    encrypted: run.artifacts.some((artifact) => artifact.encrypted === true) || undefined,
  });
}

function selectedEvent(backup: ResolvedBackup): RecordEvent {
  return normal('BackupSelected', `restoring BackupRun ${backup.name}${backup.snapshotTime ? ` (snapshot ${backup.snapshotTime})` : ''}${backup.manifestKey ? ` from ${backup.manifestKey}` : ''}`);
}

function transitionEvents(before: RestoreRequestStatus, after: RestoreRequestStatus): RecordEvent[] {
  const events: RecordEvent[] = [];
  if (!before.backup && after.backup) events.push(selectedEvent(after.backup));
  const recorded = new Map((before.targets ?? []).map((entry) => [entry.source, entry.phase]));
  for (const entry of after.targets ?? []) {
    if (recorded.get(entry.source) === entry.phase) continue;
    if (entry.phase === 'Succeeded') {
      const objects = entry.objectsWritten === undefined ? '' : `, ${entry.objectsWritten} object(s) written, ${entry.objectsSkipped ?? 0} skipped`;
      events.push(normal('TargetRestored', `source ${entry.source} restored into ${entry.destination ?? 'its target'}${entry.duration ? ` in ${entry.duration}` : ''}${objects}`));
    } else if (entry.phase === 'Failed') {
      events.push(warning('TargetFailed', `source ${entry.source} was not restored into ${entry.destination ?? 'its target'}: ${entry.message ?? 'no reason given'}`));
    }
  }
  if (after.phase !== before.phase && isTerminal(after.phase)) {
    const message = findCondition(after.conditions, 'Complete')?.message ?? '';
    if (after.phase === 'Succeeded') events.push(normal('RestoreSucceeded', message));
    else if (after.phase === 'PartiallyFailed') events.push(warning('RestorePartiallyFailed', message));
    else events.push(warning('RestoreFailed', message));
  }
  return events;
}
