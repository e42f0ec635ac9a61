// Restore metrics. Velero has no restore duration metric and its users ask for one: here it is a
// histogram of the restores this process saw finish, by namespace and result, and a gauge of the
// RestoreRequests by phase computed from the cache at scrape time (right after a restart too).
import { Gauge, Histogram, type Registry } from 'prom-client';
import type { RestoreInformers, StoredRestore } from './observe.ts';

export interface RestoreMetrics {
  /** A restore reached a final phase in this process. */
  observeFinishedRestore(restore: StoredRestore, phase: string, durationSeconds: number | undefined): void;
}

const created = new WeakMap<Registry, RestoreMetrics>();

export function restoreMetrics(registry: Registry, prefix: string, informers: Pick<RestoreInformers, 'restores'>): RestoreMetrics {
  const existing = created.get(registry);
  if (existing) return existing;
  new Gauge({
    name: `${prefix}restore_requests`,
    help: 'RestoreRequests by namespace and phase (Unknown before the first reconcile).',
    labelNames: ['namespace', 'phase'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const counts = new Map<string, { namespace: string; phase: string; count: number }>();
      for (const restore of informers.restores.list()) {
        const labels = { namespace: restore.metadata.namespace ?? '', phase: restore.status?.phase ?? 'Unknown' };
        const id = `${labels.namespace}/${labels.phase}`;
        const entry = counts.get(id) ?? { ...labels, count: 0 };
        entry.count++;
        counts.set(id, entry);
      }
      for (const { count, ...labels } of counts.values()) this.set(labels, count);
    },
  });
  const durations = new Histogram({
    name: `${prefix}restore_duration_seconds`,
    help: 'Durations of the restores that finished while this replica led, from the first Job start to the last Job end, by namespace and final phase.',
    labelNames: ['namespace', 'phase'] as const,
    buckets: [5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400],
    registers: [registry],
  });
  const metrics: RestoreMetrics = {
    observeFinishedRestore(restore, phase, durationSeconds) {
      if (durationSeconds === undefined) return;
      durations.observe({ namespace: restore.metadata.namespace ?? '', phase }, durationSeconds);
    },
  };
  created.set(registry, metrics);
  return metrics;
}
