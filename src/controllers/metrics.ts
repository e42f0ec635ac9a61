// The domain metrics. Gauges are computed from the informer caches at scrape time, from what
// the statuses say, so they are right from the first scrape after a restart (a freshness alert
// must not fire because the operator restarted), and they are empty until both caches have
// listed: a schedule seen before its runs would look as if it had no backup. The duration
// histogram counts runs this process saw finish. The alerts on these (docs/metrics.md) are in
// charts/lifeboat/files/prometheus-rules.yaml.
import { Gauge, Histogram, type Registry } from 'prom-client';
import { parseDuration } from '../api/index.ts';
import { ARTIFACTS_FINALIZER, backupUsability, isUsableBackup, Labels, verifiedStatusOf, type VerifiedStatus } from '../core/index.ts';
import type { BackupInformers, StoredRun, StoredSchedule } from './informers.ts';

export interface BackupMetrics {
  /** A run reached a final phase in this process. */
  observeFinishedRun(run: StoredRun, phase: string, durationSeconds: number | undefined): void;
}

const created = new WeakMap<Registry, BackupMetrics>();

const FINISHED = new Set(['Succeeded', 'PartiallyFailed', 'Failed']);

function scheduleOf(run: StoredRun): string {
  return run.metadata.labels?.[Labels.schedule] ?? run.spec.scheduleRef?.name ?? '';
}

/** Phase and Verified, as the core's one definition of a usable backup reads them (a Succeeded run that failed its read-back is a failed backup). */
function outcomeOf(run: StoredRun): { phase?: string | undefined; verified: VerifiedStatus } {
  return { phase: run.status?.phase, verified: verifiedStatusOf(run) };
}

/** When a finished run finished: its completionTime, else its creation. */
function finishedAt(run: StoredRun): number {
  return seconds(run.status?.completionTime) ?? seconds(run.metadata.creationTimestamp) ?? 0;
}

function seconds(time: string | undefined): number | undefined {
  const ms = time ? Date.parse(time) : Number.NaN;
  return Number.isNaN(ms) ? undefined : ms / 1000;
}

/** Registers the metrics once per registry (both backup controllers ask for them). */
export function backupMetrics(registry: Registry, prefix: string, informers: BackupInformers): BackupMetrics {
  const existing = created.get(registry);
  if (existing) return existing;

  const synced = (): boolean => informers.schedules.hasSynced && informers.runs.hasSynced;
  const schedules = (): StoredSchedule[] => (synced() ? informers.schedules.list() : []);
  const runs = (): StoredRun[] => (synced() ? informers.runs.list() : []);
  const perSchedule = (name: string, help: string, value: (schedule: StoredSchedule) => number | undefined) =>
    new Gauge({
      name: `${prefix}${name}`,
      help,
      labelNames: ['namespace', 'schedule'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const schedule of schedules()) {
          const measured = value(schedule);
          if (measured !== undefined) this.set({ namespace: schedule.metadata.namespace ?? '', schedule: schedule.metadata.name ?? '' }, measured);
        }
      },
    });

  perSchedule('backup_last_success_timestamp_seconds', 'Completion time of the newest successful backup of each schedule (Unix seconds), from its status.', (schedule) =>
    seconds(schedule.status?.lastSuccessfulRun?.completionTime),
  );
  const newestSucceeded = (): Map<string, StoredRun> => {
    const newest = new Map<string, StoredRun>();
    for (const run of runs()) {
      if (!isUsableBackup(outcomeOf(run))) continue;
      const id = `${run.metadata.namespace ?? ''}/${scheduleOf(run)}`;
      const current = newest.get(id);
      if (!current || (run.status?.completionTime ?? '') > (current.status?.completionTime ?? '')) newest.set(id, run);
    }
    return newest;
  };
  const lastSize = new Gauge({
    name: `${prefix}backup_last_size_bytes`,
    help: 'Size of the newest successful backup of each schedule (Succeeded, not failed or still in verification), in bytes.',
    labelNames: ['namespace', 'schedule'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const run of newestSucceeded().values()) {
        if (run.status?.sizeBytes !== undefined) this.set({ namespace: run.metadata.namespace ?? '', schedule: scheduleOf(run) }, run.status.sizeBytes);
      }
    },
  });
  const lastDuration = new Gauge({
    name: `${prefix}backup_last_duration_seconds`,
    help: 'Duration of the newest successful backup of each schedule, in seconds.',
    labelNames: ['namespace', 'schedule'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const run of newestSucceeded().values()) {
        if (run.status?.durationSeconds !== undefined) this.set({ namespace: run.metadata.namespace ?? '', schedule: scheduleOf(run) }, run.status.durationSeconds);
      }
    },
  });
  const runsByPhase = new Gauge({
    name: `${prefix}backup_runs`,
    help: 'BackupRuns by namespace, schedule and phase (Unknown before the first reconcile).',
    labelNames: ['namespace', 'schedule', 'phase'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const counts = new Map<string, { namespace: string; schedule: string; phase: string; count: number }>();
      for (const run of runs()) {
        const labels = { namespace: run.metadata.namespace ?? '', schedule: scheduleOf(run), phase: run.status?.phase ?? 'Unknown' };
        const id = JSON.stringify(labels);
        const entry = counts.get(id) ?? { ...labels, count: 0 };
        entry.count++;
        counts.set(id, entry);
      }
      for (const { count, ...labels } of counts.values()) this.set(labels, count);
    },
  });
  // What the RPO alert compares: the objective, the data time of the newest successful backup
  // (its snapshot, else its completion: what RPOMet measures from) and, for a schedule that has
  // none yet, its creation (the objective counts from there).
  perSchedule('backup_rpo_objective_seconds', 'spec.objectives.rpo of each schedule, in seconds (absent when it has none or it is not a duration).', (schedule) => {
    const rpo = schedule.spec?.objectives?.rpo;
    const ms = rpo === undefined ? undefined : parseDuration(rpo);
    return ms ? ms / 1000 : undefined;
  });
  perSchedule('backup_last_snapshot_timestamp_seconds', 'Data time of the newest successful backup of each schedule (its snapshot time, else its completion; Unix seconds), from its status: what RPOMet measures from.', (schedule) => {
    const newest = schedule.status?.lastSuccessfulRun;
    return seconds(newest?.snapshotTime) ?? seconds(newest?.completionTime);
  });
  perSchedule('backup_schedule_created_timestamp_seconds', 'Creation time of each BackupSchedule (Unix seconds): with no successful backup, the RPO objective counts from here.', (schedule) =>
    seconds(schedule.metadata.creationTimestamp),
  );
  new Gauge({
    name: `${prefix}backup_last_result`,
    help: 'Result of the newest finished BackupRun of each schedule (by completion; one still being verified is not finished): 1 Succeeded, 0 Failed, PartiallyFailed or failed verification.',
    labelNames: ['namespace', 'schedule'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const newest = new Map<string, StoredRun>();
      for (const run of runs()) {
        if (!FINISHED.has(run.status?.phase ?? '') || run.metadata.deletionTimestamp || backupUsability(outcomeOf(run)) === 'verifying') continue;
        const id = `${run.metadata.namespace ?? ''}/${scheduleOf(run)}`;
        const current = newest.get(id);
        if (!current || finishedAt(run) > finishedAt(current)) newest.set(id, run);
      }
      for (const run of newest.values()) {
        this.set({ namespace: run.metadata.namespace ?? '', schedule: scheduleOf(run) }, isUsableBackup(outcomeOf(run)) ? 1 : 0);
      }
    },
  });
  // A run being deleted with deletionPolicy Delete keeps its finalizer until its folder is gone
  // from storage; one that stays long means storage refuses or cannot be reached.
  const pendingDeletions = (): Map<string, { namespace: string; schedule: string; count: number; oldest: number }> => {
    const pending = new Map<string, { namespace: string; schedule: string; count: number; oldest: number }>();
    for (const run of runs()) {
      const since = seconds(run.metadata.deletionTimestamp);
      if (since === undefined || !run.metadata.finalizers?.includes(ARTIFACTS_FINALIZER)) continue;
      const labels = { namespace: run.metadata.namespace ?? '', schedule: scheduleOf(run) };
      const id = `${labels.namespace}/${labels.schedule}`;
      const entry = pending.get(id) ?? { ...labels, count: 0, oldest: since };
      entry.count++;
      entry.oldest = Math.min(entry.oldest, since);
      pending.set(id, entry);
    }
    return pending;
  };
  new Gauge({
    name: `${prefix}backup_artifact_deletions_pending`,
    help: 'BackupRuns being deleted whose artifacts finalizer still holds them (their artifacts not yet deleted from storage), by schedule.',
    labelNames: ['namespace', 'schedule'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { count, namespace, schedule } of pendingDeletions().values()) this.set({ namespace, schedule }, count);
    },
  });
  new Gauge({
    name: `${prefix}backup_artifact_deletion_oldest_timestamp_seconds`,
    help: 'deletionTimestamp of the oldest BackupRun of each schedule still waiting for its artifacts to be deleted from storage (Unix seconds).',
    labelNames: ['namespace', 'schedule'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { oldest, namespace, schedule } of pendingDeletions().values()) this.set({ namespace, schedule }, oldest);
    },
  });
  const durations = new Histogram({
    name: `${prefix}backup_duration_seconds`,
    help: 'Durations of the backup runs that finished while this replica led, by final phase.',
    labelNames: ['namespace', 'schedule', 'phase'] as const,
    buckets: [5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400],
    registers: [registry],
  });
  void lastSize;
  void lastDuration;
  void runsByPhase;

  const metrics: BackupMetrics = {
    observeFinishedRun(run, phase, durationSeconds) {
      if (durationSeconds === undefined) return;
      durations.observe({ namespace: run.metadata.namespace ?? '', schedule: scheduleOf(run), phase }, durationSeconds);
    },
  };
  created.set(registry, metrics);
  return metrics;
}
