// decideDrillRun: one disaster-recovery drill, from the declared incident (the run's creation)
// to verified data and a report. Pure (STYLE #2). Each pass reads top to bottom:
//   1. finished: nothing changes any more (the finalizer goes);
//   2. the plan: the run's own copy, or the drill's, copied into status once;
//   3. SelectBackup: list the run manifests in storage, pick the backup (passing over those whose
//      stored verdict says their read-back failed), record it once;
//   4. Provision: one Job per source creates a new, empty scratch database or bucket;
//   5. RestoreDatabase and RestoreBuckets: the restore Jobs a RestoreRequest would run;
//   6. Verify: checks per source; then RTO, RPO and the objectives;
//   7. Cleanup: by the policy, also after a failure, the timeout, or deletion;
//   8. the report next to the backups, then the result.
// A failure anywhere skips to Cleanup; the timeout stops the running step first.
// Ready, Reconciling and Stalled (docs/adr/0013): in progress until the result, then current
// (Passed) or failed (the run's reason).
import type { Condition, DRDrillRunStatus, DrillPlan, DrillStepName } from '../../api/index.ts';
import { ConditionReasons, parseDuration } from '../../api/index.ts';
import { findCondition, setCondition } from '../conditions.ts';
import { normal, warning, type RecordEvent } from '../events.ts';
import { applyHealth, current, failed, inProgress, type Health } from '../health.ts';
import { finalizerActions, halt, jobOutcome, missingSecretMessages, preflight, waitForReference, type Blocked } from '../job-set/index.ts';
import { buildDrillRestoreJob, buildDrillVerifyJob, buildScratchJob, drillJobName, needsVerify, scratchName, type DrillRunForJobs, type DrillSource } from '../jobs/drill-jobs.ts';
import type { BackupForJobs } from '../jobs/restore-job.ts';
import { DRILL_CLEANUP_FINALIZER } from '../metadata.ts';
import { compact, sameStatus } from '../same-status.ts';
import { formatTime, latest, parseTime } from '../time.ts';
import { checksOf, forStatus, freshnessOf, restoreChecksOf, unlistedChecksOf } from './checks.ts';
import { measure } from './measure.ts';
import { drillIdentity, drillSecretNeeds, fitProblems, planProblems } from './needs.ts';
import { drillReport } from './report-input.ts';
import type { DrillReportNotListed } from './report.ts';
import { deliveredRpo, selectDrillBackup } from './select-backup.ts';
import { advanceStep, clip, instantStep, isStepFinal, jobSpan, skipped, STEP_ORDER, type StepOutcome } from './steps.ts';
import type { DrillCheckStatus, DrillRunAction, DrillRunConfig, DrillRunDecision, DrillStepStatus, ObservedDrillRun } from './types.ts';

type Status = DRDrillRunStatus;
type Failure = { reason: string; message: string };

interface Pass {
  observed: ObservedDrillRun;
  now: Date;
  config: DrillRunConfig;
  before: Status;
  generation: number;
  actions: DrillRunAction[];
  incident: Date;
  plan: DrillPlan;
  deleting: boolean;
  /** The status being built this pass. */
  draft: Status;
  steps: Map<DrillStepName, DrillStepStatus>;
  failure?: Failure | undefined;
  checks: DrillCheckStatus[];
  /** Checks a verify Job ran but left out of its result for size: counted, not listed. */
  unlisted: DrillReportNotListed[];
  outcomes: Partial<Record<DrillStepName, StepOutcome>>;
}

export function decideDrillRun(observed: ObservedDrillRun, now: Date, config: DrillRunConfig): DrillRunDecision {
  const { run } = observed;
  const before: Status = run.status ?? {};
  const finalizers = run.metadata.finalizers ?? [];
  const deleting = run.metadata.deletionTimestamp !== undefined;
  const unchanged = (actions: DrillRunAction[]): DrillRunDecision => ({ actions, status: before, statusChanged: false });
  const generation = run.metadata.generation ?? 0;
  if (before.result === 'Passed' || before.result === 'Failed') {
    const actions = finalizerActions(DRILL_CLEANUP_FINALIZER, false, finalizers);
    return deleting ? unchanged(actions) : settled(before, actions, now, generation);
  }
  if (deleting && !finalizers.includes(DRILL_CLEANUP_FINALIZER)) return unchanged([]);

  const actions: DrillRunAction[] = deleting ? [] : finalizerActions(DRILL_CLEANUP_FINALIZER, true, finalizers);
  const incident = parseTime(run.metadata.creationTimestamp) ?? now;
  const plan = run.spec.plan ?? before.plan ?? observed.drill?.plan;
  if (!plan) {
    const missing = `DRDrill "${run.spec.drillRef.name}" (spec.drillRef) does not exist; create it, or fix drillRef`;
    if (deleting) return unchanged([{ type: 'RemoveFinalizer', finalizer: DRILL_CLEANUP_FINALIZER }]);
    return blocked({ now, before, generation, actions }, waitForReference(missing, incident, now, config));
  }

  const pass: Pass = {
    observed,
    now,
    config,
    before,
    generation,
    actions,
    incident,
    plan,
    deleting,
    draft: compact({ ...before, observedGeneration: generation, result: 'Running' as const, startTime: before.startTime ?? formatTime(incident), plan: run.spec.plan ? undefined : plan }),
    steps: new Map((before.steps ?? []).map((step) => [step.name, step])),
    failure: before.reason ? { reason: before.reason, message: before.message ?? '' } : undefined,
    checks: [],
    unlisted: [],
    outcomes: {},
  };
  if (deleting && !pass.failure) pass.failure = { reason: 'Deleted', message: 'the DRDrillRun was deleted while the drill ran' };

  if (!pass.draft.backup && !pass.failure) {
    const waiting = selectBackup(pass);
    if (waiting) return waiting;
  }
  if (pass.draft.backup && !observed.schedule) fail(pass, 'ReferenceNotFound', `BackupSchedule "${plan.scheduleRef.name}" was deleted during the drill; the drill needs its spec to reach the backups`);
  // A step runs when its turn comes and nothing failed; a step already started is looked at
  // again every pass, so that a failure or the timeout stops it and its result is read.
  const started = (...names: DrillStepName[]) => names.some((name) => begun(pass, name));
  if (pass.draft.backup) {
    if (!pass.failure || started('Provision')) provision(pass, stopFor(pass));
    if ((!pass.failure && stepPhase(pass, 'Provision') === 'Succeeded') || started('RestoreDatabase', 'RestoreBuckets')) restore(pass, stopFor(pass));
    if ((!pass.failure && restored(pass)) || started('Verify')) verify(pass, stopFor(pass));
  }
  if (readyToClean(pass)) cleanup(pass);
  return finish(pass);
}

// --- 3. SelectBackup ---------------------------------------------------------------------------

function selectBackup(pass: Pass): DrillRunDecision | undefined {
  const { observed, plan, now, config, incident } = pass;
  const storage = observed.schedule?.spec.storage;
  const scheduleMissing = observed.schedule ? [] : [`BackupSchedule "${plan.scheduleRef.name}" (plan.scheduleRef) does not exist; the drill reads where its backups are from its spec`];
  const check = preflight({
    invalid: planProblems(plan),
    missing: [...scheduleMissing, ...missingSecretMessages(drillSecretNeeds(plan, storage, undefined), observed.secrets)],
    createdAt: incident,
    now,
    config,
  });
  if (check.verdict === 'waiting') return blocked(pass, check);
  if (check.verdict !== 'ready') {
    fail(pass, check.verdict === 'invalid' ? 'InvalidPlan' : 'ReferenceNotFound', check.message);
    pass.steps.set('SelectBackup', instantStep('SelectBackup', incident, now, 'Failed', check.message));
    return undefined;
  }
  const catalog = observed.catalog;
  if (!catalog || catalog.error) {
    const why = `could not list the backups in s3://${storage!.bucket}: ${catalog?.error ?? 'not read yet'}`;
    const wait = waitForReference(why, incident, now, config);
    if (wait.verdict === 'waiting') return blocked(pass, wait);
    fail(pass, 'NoBackup', why);
    pass.steps.set('SelectBackup', instantStep('SelectBackup', incident, now, 'Failed', why));
    return undefined;
  }
  const selection = selectDrillBackup(catalog.entries, plan, incident);
  if (!selection.ok) {
    fail(pass, 'NoBackup', selection.message);
    pass.steps.set('SelectBackup', instantStep('SelectBackup', incident, now, 'Failed', selection.message));
    return undefined;
  }
  const { backup, skipped: failedNewer } = selection;
  pass.draft.backup = compact({
    run: backup.run,
    manifestKey: backup.key,
    snapshotTime: formatTime(backup.snapshotTime),
    sizeBytes: backup.sizeBytes,
    encrypted: backup.encrypted || undefined,
    sources: backup.sources.map((source) => ({ name: source.name, kind: source.kind === 'postgres' ? ('Postgres' as const) : ('Bucket' as const) })),
    skipped: failedNewer.length > 0 ? failedNewer.slice(0, MAX_SKIPPED_LISTED).map((entry) => ({ run: entry.run, manifestKey: entry.key, snapshotTime: formatTime(entry.snapshotTime), reason: clip(entry.reason, 512) })) : undefined,
  });
  pass.draft.deliveredRpo = deliveredRpo(catalog.entries, incident, parseDuration(plan.objectives.rpo) ?? 0, observed.schedule?.spec.retention.keepLast);
  const problems = [...fitProblems(plan, pass.draft.backup, storage), ...missingSecretMessages(drillSecretNeeds(plan, storage, pass.draft.backup), observed.secrets)];
  const passedOver = failedNewer.length > 0 ? `; passed over ${failedNewer.length} newer backup(s) that failed verification: ${failedNewer.map((entry) => `${entry.run} (${entry.reason})`).join('; ')}` : '';
  const message = `backup ${backup.run} (snapshot ${formatTime(backup.snapshotTime)}) from ${backup.key}, ${backup.sources.length} source(s) to restore${passedOver}`;
  pass.actions.push(normal('BackupSelected', clip(message)));
  if (problems.length > 0) {
    fail(pass, 'InvalidPlan', problems.join('; '));
    pass.steps.set('SelectBackup', instantStep('SelectBackup', incident, now, 'Failed', problems.join('; ')));
  } else {
    pass.steps.set('SelectBackup', instantStep('SelectBackup', incident, now, 'Succeeded', message));
  }
  return undefined;
}

/** status.backup.skipped lists this many (the API's limit); the SelectBackup step counts them all. */
const MAX_SKIPPED_LISTED = 8;

// --- 4.-6. Provision, restore, verify ------------------------------------------------------------

function forJobs(pass: Pass): DrillRunForJobs {
  const { metadata } = pass.observed.run;
  return { name: metadata.name ?? '', namespace: metadata.namespace ?? '', uid: metadata.uid ?? '', runId: runIdOf(pass), plan: pass.plan };
}

/** The scratch names' id: the incident's Unix seconds and a little of the run's uid. */
function runIdOf(pass: Pass): string {
  const uid = (pass.observed.run.metadata.uid ?? '').replace(/[^a-z0-9]/g, '');
  return `${Math.floor(pass.incident.getTime() / 1000)}${uid.slice(0, 4)}`;
}

function sourcesOf(pass: Pass): DrillSource[] {
  return (pass.draft.backup?.sources ?? []).map((source, index) => ({ name: source.name, kind: source.kind === 'Postgres' ? ('postgres' as const) : ('bucket' as const), index }));
}

function backupForJobs(pass: Pass): BackupForJobs {
  const storage = pass.observed.schedule!.spec.storage;
  const identity = pass.draft.backup?.encrypted ? drillIdentity(pass.plan, storage) : undefined;
  return { run: pass.draft.backup!.run!, schedule: pass.plan.scheduleRef.name, storage, identity: identity && { name: identity.name, key: identity.key } };
}

function runStep(pass: Pass, name: DrillStepName, kind: 'provision' | 'restore' | 'verify' | 'cleanup', sources: readonly DrillSource[], job: (source: DrillSource) => ReturnType<typeof buildScratchJob>, stop?: string): StepOutcome {
  if (!begun(pass, name) && pass.failure && name !== 'Cleanup') {
    const outcome: StepOutcome = { status: skipped(name, `skipped: ${pass.failure.reason}`), items: [] };
    pass.steps.set(name, outcome.status);
    return outcome;
  }
  const outcome = advanceStep({
    name,
    kind,
    run: pass.observed.run.metadata.name ?? '',
    items: sources.map((source) => ({ source, job: () => job(source) })),
    recorded: pass.steps.get(name),
    jobs: new Map(pass.observed.jobs.map((observedJob) => [observedJob.name, observedJob])),
    now: pass.now,
    stop,
    actions: pass.actions,
  });
  pass.steps.set(name, outcome.status);
  pass.outcomes[name] = outcome;
  return outcome;
}

/** Why the steps still running must stop: deletion, the timeout, or a failure elsewhere. */
function stopFor(pass: Pass): string | undefined {
  if (pass.deleting) return 'stopped: the DRDrillRun was deleted';
  const timeoutMs = parseDuration(pass.plan.timeout) ?? Number.POSITIVE_INFINITY;
  if (pass.now.getTime() >= pass.incident.getTime() + timeoutMs && !isStepFinal(pass.steps.get('Verify')?.phase)) {
    fail(pass, 'Timeout', `the drill ran longer than its timeout (${pass.plan.timeout}) and was stopped`);
    return `stopped: the drill ran longer than its timeout (${pass.plan.timeout})`;
  }
  return pass.failure ? `stopped: the drill failed (${pass.failure.reason})` : undefined;
}

function provision(pass: Pass, stop: string | undefined): void {
  const run = forJobs(pass);
  const outcome = runStep(pass, 'Provision', 'provision', sourcesOf(pass), (source) => buildScratchJob(run, source, 'scratch-create', pass.config.runner, pass.observed.schedule?.spec.storage), stop);
  const created = outcome.items.filter((item) => item.state.phase === 'Succeeded').map((item) => item.source);
  pass.draft.scratch = compact({
    ...pass.draft.scratch,
    databases: orUndefined(created.filter((s) => s.kind === 'postgres').map((s) => scratchName(run, s))),
    buckets: orUndefined(created.filter((s) => s.kind === 'bucket').map((s) => scratchName(run, s))),
  });
  if (outcome.status.phase !== 'Failed' || pass.failure) return;
  const exists = outcome.items.some((item) => item.result && !item.result.ok && ['TargetExists', 'TargetNotEmpty'].includes(item.result.code));
  fail(pass, exists ? 'ScratchExists' : 'ProvisionFailed', outcome.status.message ?? 'provisioning the scratch targets failed');
}

function restore(pass: Pass, stop: string | undefined): void {
  const run = forJobs(pass);
  const backup = backupForJobs(pass);
  const sources = sourcesOf(pass);
  const job = (source: DrillSource) => buildDrillRestoreJob(run, source, backup, pass.config.runner);
  const outcomes = [
    runStep(pass, 'RestoreDatabase', 'restore', sources.filter((s) => s.kind === 'postgres'), job, stop),
    runStep(pass, 'RestoreBuckets', 'restore', sources.filter((s) => s.kind === 'bucket'), job, stop),
  ];
  pass.checks.push(...outcomes.flatMap((outcome) => outcome.items.flatMap((item) => restoreChecksOf(item.source, item.result))));
  for (const outcome of outcomes) {
    if (outcome.status.phase !== 'Failed' || pass.failure) continue;
    const codes = outcome.items.flatMap((item) => (item.result && !item.result.ok ? [item.result.code] : []));
    const reason = codes.includes('ChecksumMismatch') ? 'ChecksumMismatch' : codes.includes('DecryptionFailed') ? 'DecryptionFailed' : 'RestoreFailed';
    fail(pass, reason, outcome.status.message ?? 'the restore failed');
  }
}

function restored(pass: Pass): boolean {
  return (['RestoreDatabase', 'RestoreBuckets'] as const).every((name) => ['Succeeded', 'Skipped'].includes(stepPhase(pass, name) ?? ''));
}

function verify(pass: Pass, stop: string | undefined): void {
  const run = forJobs(pass);
  const backup = backupForJobs(pass);
  const sources = sourcesOf(pass);
  const postgres = sources.filter((s) => s.kind === 'postgres').map((s) => s.name);
  const checked = sources.filter((source) => needsVerify(pass.plan, source, postgres));
  const outcome = runStep(pass, 'Verify', 'verify', checked, (source) => buildDrillVerifyJob(run, source, backup, postgres, pass.config.runner), stop);
  pass.checks = [
    ...pass.checks,
    ...outcome.items.flatMap((item) =>
      item.state.phase === 'Succeeded' || item.state.phase === 'Failed' ? checksOf(item.source, item.result, item.state.phase === 'Failed' ? item.state.message : undefined) : [],
    ),
  ];
  pass.unlisted = outcome.items.flatMap((item) => {
    const omitted = item.state.phase === 'Succeeded' || item.state.phase === 'Failed' ? unlistedChecksOf(item.result) : undefined;
    return omitted ? [{ source: item.source.name, jobName: drillJobName(run.name, 'verify', item.source.name), ...omitted }] : [];
  });
  if (outcome.status.phase === 'Failed' && !pass.failure) {
    const failedChecks = pass.checks.filter((check) => check.result === 'Failed');
    const unlistedFailed = pass.unlisted.filter((entry) => entry.failed > 0);
    const notShown = unlistedFailed.reduce((sum, entry) => sum + entry.failed, 0);
    const listed = failedChecks.slice(0, 5).map((c) => `${c.name}${c.expected ? ` (expected ${c.expected}, found ${c.actual ?? 'nothing'})` : c.message ? ` (${c.message})` : ''}`);
    const unlistedText = notShown > 0 ? `${notShown} not listed for size (see the log of Job ${unlistedFailed.map((entry) => entry.jobName).join(', ')})` : '';
    const message =
      failedChecks.length + notShown > 0
        ? `${failedChecks.length + notShown} check(s) failed: ${[...listed, ...(unlistedText ? [unlistedText] : [])].join('; ')}`
        : (outcome.status.message ?? 'verification failed');
    fail(pass, 'CheckFailed', message);
    return;
  }
  if (recovered(pass, checked.length > 0)) measureRun(pass, outcome);
}

/**
 * The data counts as recovered, and RTO and RPO are measured, once every restore the scenario
 * needs succeeded and Verify passed (or had nothing to check). A step skipped because the
 * drill already failed recovered nothing: such a drill has no RTO, RPO or objectives.
 */
function recovered(pass: Pass, anythingToVerify: boolean): boolean {
  const sources = sourcesOf(pass);
  const done = (name: DrillStepName, needed: boolean) => !needed || stepPhase(pass, name) === 'Succeeded';
  return (
    done('RestoreDatabase', sources.some((source) => source.kind === 'postgres')) &&
    done('RestoreBuckets', sources.some((source) => source.kind === 'bucket')) &&
    done('Verify', anythingToVerify)
  );
}

function measureRun(pass: Pass, verifyOutcome: StepOutcome): void {
  const restores = [pass.outcomes.RestoreDatabase, pass.outcomes.RestoreBuckets].filter((o): o is StepOutcome => o !== undefined);
  const spans = restores.map(jobSpan);
  const starts = spans.map((span) => span.start).filter((t): t is Date => t !== undefined);
  const ends = spans.map((span) => span.end).filter((t): t is Date => t !== undefined);
  const restoreSeconds = starts.length > 0 && ends.length > 0 ? Math.max(0, Math.max(...ends.map((t) => t.getTime())) - Math.min(...starts.map((t) => t.getTime()))) / 1000 : undefined;
  const freshnessText = pass.plan.verify.freshness ? verifyOutcome.items.map((item) => freshnessOf(item.result)).find((value) => value !== undefined) : undefined;
  const verifiedAt =
    parseTime(verifyOutcome.status.completionTime) ??
    latest([parseTime(pass.steps.get('RestoreDatabase')?.completionTime), parseTime(pass.steps.get('RestoreBuckets')?.completionTime)]) ??
    pass.now;
  const measured = measure({
    plan: pass.plan,
    incident: pass.incident,
    verifiedAt,
    snapshotTime: parseTime(pass.draft.backup!.snapshotTime)!,
    freshness: parseTime(freshnessText),
    restore: { seconds: restoreSeconds === undefined ? undefined : Math.round(restoreSeconds), bytes: pass.draft.backup?.sizeBytes },
  });
  pass.draft.rto = measured.rto;
  pass.draft.rpo = measured.rpo;
  pass.draft.objectives = measured.objectives;
  if (pass.failure) return;
  if (measured.objectives === 'RTOMissed') fail(pass, 'RTOMissed', `recovery took ${measured.rto.measured}, over the RTO objective of ${measured.rto.objective}`);
  if (measured.objectives === 'RPOMissed') fail(pass, 'RPOMissed', `${measured.rpo.measured} of data would be lost (newest data ${measured.rpo.newestDataTime}, ${measured.rpo.basis}), over the RPO objective of ${measured.rpo.objective}`);
  if (measured.objectives === 'BothMissed') fail(pass, 'ObjectivesMissed', `recovery took ${measured.rto.measured} (RTO objective ${measured.rto.objective}) and ${measured.rpo.measured} of data would be lost (RPO objective ${measured.rpo.objective})`);
}

// --- 7. Cleanup --------------------------------------------------------------------------------

/** Cleanup starts when the drill has an outcome and nothing of it still runs. */
function readyToClean(pass: Pass): boolean {
  if (begun(pass, 'Cleanup')) return true;
  const running = pass.observed.jobs.some((job) => !job.name.includes('-cleanup-') && ['Pending', 'Running'].includes(jobOutcome(job).state));
  if (running) return false;
  if (pass.failure) return !STEP_ORDER.slice(0, 5).some((name) => pass.steps.get(name)?.phase === 'Running');
  return isStepFinal(pass.steps.get('Verify')?.phase);
}

function cleanup(pass: Pass): void {
  const run = forJobs(pass);
  const policy = pass.plan.scratch.cleanup;
  const created = new Set([...(pass.draft.scratch?.databases ?? []), ...(pass.draft.scratch?.buckets ?? [])]);
  const provisioned = sourcesOf(pass).filter((source) => created.has(scratchName(run, source)));
  const drop = policy === 'Always' || (policy === 'OnSuccess' && !pass.failure);
  if (!drop && (!begun(pass, 'Cleanup') || pass.steps.get('Cleanup')?.phase === 'Skipped')) {
    const kept = provisioned.map((source) => scratchName(run, source));
    pass.steps.set('Cleanup', skipped('Cleanup', kept.length > 0 ? `cleanup policy ${policy}${policy === 'OnSuccess' ? ' and the drill failed' : ''}: kept ${kept.join(', ')}` : 'nothing was provisioned'));
    pass.draft.scratch = compact({ ...pass.draft.scratch, leftBehind: orUndefined(kept.map((name) => `${name} (cleanup ${policy})`)) });
    return;
  }
  // A Provision Job stopped (timeout, deletion) or failed for another reason than "exists" may
  // have created its target: it is dropped too, but only if it carries this run's claim.
  const unsure = begun(pass, 'Provision') ? sourcesOf(pass).filter((source) => !created.has(scratchName(run, source)) && !foundTaken(pass, source)) : [];
  const storage = pass.observed.schedule?.spec.storage;
  const outcome = runStep(pass, 'Cleanup', 'cleanup', [...provisioned, ...unsure], (source) =>
    buildScratchJob(run, source, 'scratch-drop', pass.config.runner, storage, unsure.includes(source)),
  );
  if (!isStepFinal(outcome.status.phase)) return;
  const left = outcome.items.filter((item) => item.state.phase === 'Failed').map((item) => `${scratchName(run, item.source)} (cleanup failed: ${clip(item.state.message ?? 'no reason given', 80)})`);
  pass.draft.scratch = compact({ ...pass.draft.scratch, leftBehind: orUndefined(left) });
  // A drill that leaks its scratch targets did not clean up after itself: it does not pass.
  if (left.length > 0) fail(pass, 'CleanupFailed', `could not remove ${left.join(', ')}; remove them by hand`);
}

/** Provision found the name taken by someone else: that target is not the drill's to drop. */
function foundTaken(pass: Pass, source: DrillSource): boolean {
  const result = pass.observed.jobs.find((job) => job.name === drillJobName(pass.observed.run.metadata.name ?? '', 'provision', source.name))?.result;
  return result !== undefined && !result.ok && result.code === 'TargetExists';
}

// --- 8. Result and report ----------------------------------------------------------------------

function finish(pass: Pass): DrillRunDecision {
  const { before, now, actions, draft } = pass;
  const steps = STEP_ORDER.map((name) =>
    begun(pass, name) ? pass.steps.get(name)! : pass.failure && name !== 'Cleanup' ? skipped(name, `skipped: ${pass.failure.reason}`) : { name, phase: 'Pending' as const },
  );
  // This pass's checks when the Jobs were read; else those status kept (at most 64), whose
  // counts stay as they were taken from every check.
  const fresh = pass.checks.length > 0 || pass.unlisted.length > 0;
  const checks = fresh ? pass.checks : (before.checks ?? []);
  const cleanupDone = isStepFinal(pass.steps.get('Cleanup')?.phase);
  const done = cleanupDone && !pass.observed.jobs.some((job) => ['Pending', 'Running'].includes(jobOutcome(job).state) && !job.deleting);
  let status: Status = compact({
    ...draft,
    steps,
    checks: checks.length > 0 ? forStatus(checks) : undefined,
    checksSummary: fresh ? checksSummary(pass.checks, pass.unlisted) : draft.checksSummary,
    reason: pass.failure?.reason,
    message: pass.failure ? clip(pass.failure.message) : draft.message,
  });
  status.conditions = conditions(pass, status, done);
  if (done) {
    status = { ...status, result: pass.failure ? 'Failed' : 'Passed', completionTime: formatTime(now) };
    status.conditions = conditions(pass, status, true);
    const storage = pass.observed.schedule?.spec.storage;
    if (storage && !pass.deleting) {
      const report = drillReport(pass.observed, status, pass.plan, { listed: checks, notListed: fresh ? pass.unlisted : leftOutOfStatus(status, checks) }, storage, pass.config, now);
      actions.push({ type: 'WriteReport', storage, objects: report.objects });
      status.report = report.status;
    }
    if (pass.deleting) actions.push({ type: 'RemoveFinalizer', finalizer: DRILL_CLEANUP_FINALIZER });
  }
  actions.push(...events(before, status));
  return { actions, status, statusChanged: !sameStatus(before, status), requeueAfterMs: done ? undefined : requeueAfter(pass) };
}

/** Jobs wake the run when they change; the timeout must wake it too. */
function requeueAfter(pass: Pass): number | undefined {
  const timeoutMs = parseDuration(pass.plan.timeout);
  if (timeoutMs === undefined) return undefined;
  const left = pass.incident.getTime() + timeoutMs - pass.now.getTime();
  return left > 0 ? left : pass.config.recheckAfterMs;
}

function conditions(pass: Pass, status: Status, done: boolean): Condition[] {
  const { now, generation, before } = pass;
  const set = (list: Condition[], type: string, value: 'True' | 'False' | 'Unknown', reason: string, message: string) => setCondition(list, { type, status: value, reason, message, observedGeneration: generation }, now);
  const step = `step ${(status.steps ?? []).find((s) => s.phase === 'Running')?.name ?? 'starting'}`;
  let list = applyHealth(before.conditions, done ? finishedHealth(status) : inProgress(ConditionReasons.Running, step), now, generation);
  list = done
    ? set(list, 'Complete', 'True', status.result ?? 'Finished', status.result === 'Passed' ? 'the drill passed' : `the drill failed: ${status.reason}: ${status.message ?? ''}`)
    : set(list, 'Complete', 'False', 'Running', step);
  if (status.rto) list = set(list, 'RTOMet', status.rto.met ? 'True' : 'False', status.rto.met ? 'WithinObjective' : 'ObjectiveMissed', `recovery took ${status.rto.measured}, objective ${status.rto.objective}`);
  if (status.rpo) list = set(list, 'RPOMet', status.rpo.met ? 'True' : 'False', status.rpo.met ? 'WithinObjective' : 'ObjectiveMissed', `${status.rpo.measured} of data lost (basis ${status.rpo.basis}), objective ${status.rpo.objective}`);
  return list;
}

/** Passed is current; Failed has failed, for the run's reason (an invalid plan reads InvalidSpec, as on every kind). */
function finishedHealth(status: Status): Health {
  if (status.result === 'Passed') return current(ConditionReasons.Passed, 'the drill passed');
  const reason = status.reason === 'InvalidPlan' ? ConditionReasons.InvalidSpec : (status.reason ?? 'Failed');
  return failed(reason, status.message ?? 'the drill failed');
}

/** A finished run changes no more; its health and observedGeneration are kept up to date. */
function settled(before: Status, actions: DrillRunAction[], now: Date, generation: number): DrillRunDecision {
  const status: Status = compact({ ...before, observedGeneration: generation, conditions: applyHealth(before.conditions, finishedHealth(before), now, generation) });
  return { actions, status, statusChanged: !sameStatus(before, status) };
}

function events(before: Status, after: Status): RecordEvent[] {
  const out: RecordEvent[] = [];
  const stepsBefore = new Map((before.steps ?? []).map((step) => [step.name, step.phase]));
  for (const step of after.steps ?? []) {
    if (stepsBefore.get(step.name) === step.phase) continue;
    if (step.phase === 'Failed') out.push(warning('StepFailed', `${step.name} failed: ${step.message ?? 'no reason given'}`));
    if (step.phase === 'Succeeded' && step.name !== 'SelectBackup') out.push(normal('StepSucceeded', `${step.name} took ${step.duration ?? '?'}`));
  }
  const left = after.scratch?.leftBehind ?? [];
  if (left.length > 0 && (before.scratch?.leftBehind ?? []).join() !== left.join()) out.push(warning('ScratchLeftBehind', `left behind: ${left.join(', ')}`));
  if ((after.result === 'Passed' || after.result === 'Failed') && before.result !== after.result) {
    const figures = after.rto ? ` RTO ${after.rto.measured} (objective ${after.rto.objective}), RPO ${after.rpo?.measured} (objective ${after.rpo?.objective}, ${after.rpo?.basis})` : '';
    if (after.result === 'Passed') out.push(normal('DrillPassed', `the drill passed:${figures}`));
    else out.push(warning('DrillFailed', `the drill failed (${after.reason}): ${after.message ?? ''}${figures ? `;${figures}` : ''}`));
    if (after.report?.markdownKey) out.push(normal('ReportWritten', `report at ${after.report.markdownKey} and ${after.report.jsonKey}`));
  }
  return out;
}

/** Every check, listed or not, by outcome. */
function checksSummary(listed: readonly DrillCheckStatus[], unlisted: readonly DrillReportNotListed[]): NonNullable<Status['checksSummary']> {
  const count = (result: 'Passed' | 'Failed') => listed.filter((c) => c.result === result).length;
  const sum = (key: 'passed' | 'failed') => unlisted.reduce((total, entry) => total + entry[key], 0);
  return { passed: count('Passed') + sum('passed'), failed: count('Failed') + sum('failed') };
}

/** With only status's checks to go by: those checksSummary counts but status did not keep. */
function leftOutOfStatus(status: Status, listed: readonly DrillCheckStatus[]): DrillReportNotListed[] {
  const kept = checksSummary(listed, []);
  const passed = Math.max(0, (status.checksSummary?.passed ?? 0) - kept.passed);
  const failed = Math.max(0, (status.checksSummary?.failed ?? 0) - kept.failed);
  return passed + failed > 0 ? [{ source: null, jobName: null, passed, failed }] : [];
}

// --- helpers -----------------------------------------------------------------------------------

function fail(pass: Pass, reason: string, message: string): void {
  if (!pass.failure) pass.failure = { reason, message };
}

/** A step that has started (or was skipped): listed with a phase other than Pending. */
function begun(pass: Pass, name: DrillStepName): boolean {
  const phase = pass.steps.get(name)?.phase;
  return phase !== undefined && phase !== 'Pending';
}

function stepPhase(pass: Pass, name: DrillStepName): DrillStepStatus['phase'] {
  return pass.steps.get(name)?.phase;
}

function orUndefined<T>(list: T[]): T[] | undefined {
  return list.length > 0 ? list : undefined;
}

/** Before SelectBackup: waiting for a reference (Pending, requeue), nothing started yet. */
function blocked(pass: Pick<Pass, 'before' | 'now' | 'generation' | 'actions'>, check: Blocked): DrillRunDecision {
  const { before, now, generation, actions } = pass;
  // Clipped as status.message is, so that Ready says the same now and once the run has finished.
  const stop = halt(before.conditions ?? [], { ...check, message: clip(check.message) }, now, generation);
  const gaveUp = stop.phase === 'Failed';
  const status: Status = compact({
    ...before,
    observedGeneration: generation,
    conditions: stop.conditions,
    result: gaveUp ? ('Failed' as const) : ('Running' as const),
    reason: gaveUp ? 'ReferenceNotFound' : before.reason,
    message: gaveUp ? clip(stop.message) : before.message,
    completionTime: gaveUp ? formatTime(now) : before.completionTime,
  });
  const readyBefore = findCondition(before.conditions, 'Ready');
  if (readyBefore?.message !== stop.message) actions.push(warning('ReferenceNotFound', stop.message));
  if (gaveUp) actions.push(warning('DrillFailed', `the drill failed before it started: ${stop.message}`));
  return { actions, status, statusChanged: !sameStatus(before, status), requeueAfterMs: stop.requeueAfterMs };
}
