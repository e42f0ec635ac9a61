// decideSchedule: from what is (the schedule, its runs, the clock) to what to do (create,
// replace and prune runs, record events) and the status to write. Pure: the I/O layer observes
// and acts (STYLE #2). Ready and Stalled: schedule/health.ts.
import { ConditionReasons, errorsOf, formatBytes, type BackupScheduleStatus, type Condition } from '../../api/index.ts';
import { conditionChanged, findCondition, removeCondition, setCondition } from '../conditions.ts';
import { normal, warning, type RecordEvent } from '../events.ts';
import { backupUsability, isUsableBackup } from '../backup-run/usable-backup.ts';
import { applyHealth } from '../health.ts';
import { applyRetention, type RetentionDecision } from '../retention/retention.ts';
import { compact, sameStatus } from '../same-status.ts';
import { isActive, newestFirst, type ScheduleRunView } from '../schedule-run.ts';
import { formatTime, keepSpelling, latest, parseTime } from '../time.ts';
import { decideFire, type FireDecision } from './fire-decision.ts';
import { scheduleHealth } from './health.ts';
import { rpoState } from './rpo.ts';
import { buildScheduledRun } from './scheduled-run.ts';
import type { ObservedSchedule, ScheduleAction, ScheduleDecision } from './types.ts';

export const ScheduleReasons = {
  Scheduled: 'Scheduled',
  Suspended: 'Suspended',
  InvalidSpec: ConditionReasons.InvalidSpec,
  ObjectiveMissed: ConditionReasons.ObjectiveMissed,
  LastBackupFailed: ConditionReasons.LastBackupFailed,
} as const;

const MAX_ACTIVE_LISTED = 16;

export function decideSchedule(observed: ObservedSchedule, now: Date): ScheduleDecision {
  const { spec, generation } = observed;
  const before = observed.status ?? {};
  const actions: ScheduleAction[] = [];
  const errors = errorsOf(observed.problems);

  if (before.observedGeneration !== generation) {
    for (const problem of observed.problems.filter((p) => p.severity === 'Warning')) {
      actions.push(warning('SpecWarning', `${problem.field}: ${problem.message}`));
    }
  }

  const lastScheduled = latest([parseTime(before.lastScheduleTime), ...observed.runs.map((run) => run.scheduledTime)]);
  let fire: FireDecision = { replace: [], events: [] };
  let retention: RetentionDecision | undefined;
  let createdName: string | undefined;
  if (errors.length === 0) {
    fire = decideFire(
      {
        timing: { schedule: spec.schedule, timeZone: spec.timeZone },
        suspend: spec.suspend,
        concurrencyPolicy: spec.concurrencyPolicy,
        startingDeadlineSeconds: spec.startingDeadlineSeconds,
        since: latest([lastScheduled, observed.creationTime])!,
        active: observed.runs.filter(isActive),
      },
      now,
    );
    actions.push(...fire.events);
    for (const name of fire.replace) {
      actions.push({ type: 'DeleteBackupRun', name, cause: 'Replaced' });
      actions.push(normal('RunReplaced', `deleted ${name}, still running when the next run was due (concurrencyPolicy Replace)`));
    }
    if (fire.fire) {
      const run = buildScheduledRun(observed, spec, fire.fire);
      createdName = run.metadata.name;
      actions.push({ type: 'CreateBackupRun', run });
      actions.push(normal('RunCreated', `created ${createdName} for the run due at ${formatTime(fire.fire)}`));
    }
    retention = applyRetention(observed.runs, spec.retention, spec.timeZone);
    for (const { name, reason } of retention.prune) {
      actions.push({ type: 'DeleteBackupRun', name, cause: 'Pruned' });
      actions.push(normal('RunPruned', `pruned ${name}: ${reason}`));
    }
  }

  const pruned = new Set(retention?.prune.map((entry) => entry.name));
  // The newest successful backup (status, RPOMet) and backupCount count usable backups only: one
  // that failed its read-back, or is still being read back, is not (backup-run/usable-backup.ts).
  const successes = observed.runs.filter((run) => isUsableBackup(run) && !run.deleting).sort(newestFirst);
  const newestSuccess = successes[0];
  const rpo = rpoState(spec.objectives?.rpo, newestSuccess, observed.creationTime, now, generation);
  const health = scheduleHealth({ spec, errors, rpo, runs: observed.runs.filter((run) => !pruned.has(run.name)) });
  let conditions = applyHealth(before.conditions, health, now, generation);
  if (errors.length > 0 && conditionChanged(findCondition(before.conditions, 'Ready'), findCondition(conditions, 'Ready'))) {
    actions.push(warning('InvalidSpec', health.message));
  }
  const rpoBefore = findCondition(before.conditions, 'RPOMet');
  conditions = rpo ? setCondition(conditions, rpo.condition, now) : removeCondition(conditions, 'RPOMet');
  actions.push(...rpoEvents(rpoBefore, findCondition(conditions, 'RPOMet')));

  // Listed as active: runs backing up, and runs read back after their backup (not yet usable or
  // failed). Only the listing: concurrency counts runs backing up (decideFire). It also saves a
  // status write per run: the list changes once, when the read-back ends, together with the
  // newest successful backup and the count, not once at the backup's end and again then.
  const activeNames = [
    ...observed.runs.filter((run) => (isActive(run) || backupUsability(run) === 'verifying') && !fire.replace.includes(run.name)).map((run) => run.name),
    ...(createdName && !observed.runs.some((run) => run.name === createdName) ? [createdName] : []),
  ].sort();
  const kept = successes.filter((run) => !pruned.has(run.name));
  const totalSizeBytes = kept.reduce((sum, run) => sum + (run.sizeBytes ?? 0), 0);

  const status: BackupScheduleStatus = compact({
    observedGeneration: generation,
    conditions: conditions as Condition[],
    lastScheduleTime: keepSpelling(before.lastScheduleTime, latest([lastScheduled, fire.fire])),
    nextScheduleTime: errors.length === 0 ? keepSpelling(before.nextScheduleTime, fire.nextScheduleTime) : undefined,
    lastSuccessfulRun: newestSuccess ? runReference(newestSuccess, before.lastSuccessfulRun) : undefined,
    active: activeNames.length > 0 ? activeNames.slice(0, MAX_ACTIVE_LISTED).map((name) => ({ name })) : undefined,
    backupCount: kept.length,
    totalSizeBytes,
    totalSize: formatBytes(totalSizeBytes),
  });

  const wakeTimes = [fire.wakeAt, rpo?.wakeAt].filter((time): time is Date => time !== undefined);
  const wakeAt = wakeTimes.length > 0 ? Math.min(...wakeTimes.map((time) => time.getTime())) : undefined;
  return {
    actions,
    status,
    statusChanged: !sameStatus(observed.status, status),
    requeueAfterMs: wakeAt === undefined ? undefined : Math.max(0, wakeAt - now.getTime()),
    retention,
  };
}

function rpoEvents(before: Condition | undefined, after: Condition | undefined): RecordEvent[] {
  if (!before || !after || before.status === after.status) return [];
  if (after.status === 'False') return [warning('ObjectiveMissed', after.message)];
  if (after.status === 'True') return [normal('ObjectiveMet', after.message)];
  return [];
}

function runReference(run: ScheduleRunView, before: BackupScheduleStatus['lastSuccessfulRun']) {
  const same = before?.name === run.name ? before : undefined;
  return compact({
    name: run.name,
    completionTime: keepSpelling(same?.completionTime, run.completionTime),
    snapshotTime: keepSpelling(same?.snapshotTime, run.snapshotTime),
  });
}
