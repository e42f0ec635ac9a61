// Prometheus metrics of the runtime, in a registry per process (never prom-client's global one,
// so tests can run several operators in one process). Domain code registers its own metrics in
// `registry`.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ErrorKind } from './errors.ts';

/** How a reconcile ended, as the `result` label. */
export type ReconcileOutcome = 'success' | 'requeue' | ErrorKind;

export interface RuntimeMetrics {
  readonly registry: Registry;
  readonly prefix: string;
  observeReconcile(kind: string, outcome: ReconcileOutcome, seconds: number): void;
  /** Reports `depth()` as the queue depth of `kind` at every scrape. */
  trackQueue(kind: string, depth: () => number): void;
  setLeader(leading: boolean): void;
}

export interface RuntimeMetricsOptions {
  /** Metric name prefix, "lifeboat_". */
  prefix?: string;
  /** Node.js process metrics (CPU, memory, event loop lag, ...). */
  processMetrics?: boolean;
}

export function createRuntimeMetrics(options: RuntimeMetricsOptions = {}): RuntimeMetrics {
  const prefix = options.prefix ?? 'lifeboat_';
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix });

  const reconciles = new Counter({
    name: `${prefix}reconcile_total`,
    help: 'Reconciles by kind and result (success, requeue, temporary, conflict, permanent, not-found).',
    labelNames: ['kind', 'result'] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: `${prefix}reconcile_errors_total`,
    help: 'Reconciles that failed, by kind and error kind.',
    labelNames: ['kind', 'error_kind'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: `${prefix}reconcile_duration_seconds`,
    help: 'Time spent in one reconcile, by kind.',
    labelNames: ['kind'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const queues = new Map<string, () => number>();
  const queueDepth = new Gauge({
    name: `${prefix}workqueue_depth`,
    help: 'Keys waiting for a worker, by kind.',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      for (const [kind, depth] of queues) queueDepth.set({ kind }, depth());
    },
  });
  const leader = new Gauge({
    name: `${prefix}leader`,
    help: '1 while this replica holds the leader lease (or runs without leader election), else 0.',
    registers: [registry],
  });
  leader.set(0);

  return {
    registry,
    prefix,
    observeReconcile(kind, outcome, seconds) {
      reconciles.inc({ kind, result: outcome });
      if (outcome === 'temporary' || outcome === 'conflict' || outcome === 'permanent') errors.inc({ kind, error_kind: outcome });
      duration.observe({ kind }, seconds);
    },
    trackQueue(kind, depth) {
      queues.set(kind, depth);
    },
    setLeader(leading) {
      leader.set(leading ? 1 : 0);
    },
  };
}
