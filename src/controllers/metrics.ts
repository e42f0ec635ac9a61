// The domain metrics. Gauges are computed from the informer caches at scrape time, from what
// the statuses say, so they are right from the first scrape after a restart (a freshness alert
// must not fire because the operator restarted). The duration histogram counts runs this
// process saw finish.
import { Gauge, Histogram, type Registry } from 'prom-client';
import { Labels } from '../core/index.ts';
import type { BackupInformers, StoredRun } from './informers.ts';

export interface BackupMetrics {
  /** A run reached a final phase in this process. */
  observeFinishedRun(run: StoredRun, phase: string, durationSeconds: number | undefined): void;
}

const created = new WeakMap<Registry, BackupMetrics>();

function scheduleOf(run: StoredRun): string {
  return run.metadata.labels?.[Labels.schedule] ?? run.spec.scheduleRef?.name ?? '';
}

function seconds(time: string | undefined): number | undefined {
  const ms = time ? Date.parse(time) : Number.NaN;
  return Number.isNaN(ms) ? undefined : ms / 1000;
}

/** Registers the metrics once per registry (both backup controllers ask for them). */
export function backupMetrics(registry: Registry, prefix: string, informers: BackupInformers): BackupMetrics {
  const existing = created.get(registry);
  if (existing) return existing;

  const lastSuccess = new Gauge({
    name: `${prefix}backup_last_success_timestamp_seconds`,
    help: 'Completion time of the newest successful backup of each schedule (Unix seconds), from its status.',
    labelNames: ['namespace', 'schedule'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const schedule of informers.schedules.list()) {
        const at = seconds(schedule.status?.lastSuccessfulRun?.completionTime);
        if (at !== undefined) this.set({ namespace: schedule.metadata.namespace ?? '', schedule: schedule.metadata.name ?? '' }, at);
      }
    },
  });
  const newestSucceeded = (): Map<string, StoredRun> => {
    const newest = new Map<string, StoredRun>();
    for (const run of informers.runs.list()) {
      if (run.status?.phase !== 'Succeeded') continue;
      const id = `${run.metadata.namespace ?? ''}/${scheduleOf(run)}`;
      const current = newest.get(id);
      if (!current || (run.status.completionTime ?? '') > (current.status?.completionTime ?? '')) newest.set(id, run);
    }
    return newest;
  };
  const lastSize = new Gauge({
    name: `${prefix}backup_last_size_bytes`,
    help: 'Size of the newest successful backup of each schedule, in bytes.',
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
      for (const run of informers.runs.list()) {
        const labels = { namespace: run.metadata.namespace ?? '', schedule: scheduleOf(run), phase: run.status?.phase ?? 'Unknown' };
        const id = JSON.stringify(labels);
        const entry = counts.get(id) ?? { ...labels, count: 0 };
        entry.count++;
        counts.set(id, entry);
      }
      for (const { count, ...labels } of counts.values()) this.set(labels, count);
    },
  });
  const durations = new Histogram({
    name: `${prefix}backup_duration_seconds`,
    help: 'Durations of the backup runs that finished while this replica led, by final phase.',
    labelNames: ['namespace', 'schedule', 'phase'] as const,
    buckets: [5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400],
    registers: [registry],
  });
  void lastSuccess;
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
