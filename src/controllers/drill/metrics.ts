// Drill metrics, computed from the informer caches at scrape time (the runs' statuses, walked
// the way the drill's status walks them), so they are right from the first scrape after a
// restart: an alert on lifeboat_drill_last_passed_timestamp_seconds must not fire because the
// operator restarted. For the same reason nothing is reported until both caches have listed (a
// drill seen before its runs would look as if it never passed). Figures are of the newest
// finished run (by completion) of each drill. The alerts on these (docs/metrics.md) are in
// charts/lifeboat/files/prometheus-rules.yaml.
import { Gauge, type Registry } from 'prom-client';
import { finishedRuns, toDrillRunView, type DrillRunView } from '../../core/drill/index.ts';
import { parseTime } from '../../core/time.ts';
import { runsOf, type DrillInformers, type StoredDrill, type StoredDrillRun } from './observe.ts';

interface DrillFigures {
  labels: { namespace: string; drill: string };
  drill: StoredDrill;
  runs: DrillRunView[];
  newestFinished?: DrillRunView | undefined;
  /** The newest finished run as stored, for what the view leaves out (whether each objective was met). */
  newestFinishedRun?: StoredDrillRun | undefined;
  newestPassed?: DrillRunView | undefined;
}

const OBJECTIVES = ['rto', 'rpo'] as const;

const registered = new WeakSet<Registry>();

function seconds(time: string | undefined): number | undefined {
  const parsed = parseTime(time);
  return parsed ? parsed.getTime() / 1000 : undefined;
}

/** Registers the drill metrics once per registry. */
export function drillMetrics(registry: Registry, prefix: string, informers: Pick<DrillInformers, 'drills' | 'runs'>): void {
  if (registered.has(registry)) return;
  registered.add(registry);

  const figures = (): DrillFigures[] => {
    if (!informers.drills.hasSynced || !informers.runs.hasSynced) return [];
    return informers.drills.list().map((drill) => {
      const namespace = drill.metadata.namespace ?? '';
      const name = drill.metadata.name ?? '';
      const stored = runsOf(informers, { namespace, name, uid: drill.metadata.uid ?? '' });
      const runs = stored.map((run) => toDrillRunView(run, name));
      const finished = finishedRuns(runs);
      return {
        labels: { namespace, drill: name },
        drill,
        runs,
        newestFinished: finished[0],
        newestFinishedRun: stored.find((run) => run.metadata.name === finished[0]?.name),
        newestPassed: finished.find((run) => run.result === 'Passed'),
      };
    });
  };

  const perDrill = (name: string, help: string, value: (figures: DrillFigures) => number | undefined) =>
    new Gauge({
      name: `${prefix}${name}`,
      help,
      labelNames: ['namespace', 'drill'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const drill of figures()) {
          const measured = value(drill);
          if (measured !== undefined) this.set(drill.labels, measured);
        }
      },
    });

  perDrill('drill_last_result', 'Result of the newest finished DRDrillRun of each drill: 1 passed, 0 failed.', ({ newestFinished }) =>
    newestFinished ? (newestFinished.result === 'Passed' ? 1 : 0) : undefined,
  );
  perDrill('drill_rto_seconds', 'Measured RTO of the newest finished DRDrillRun of each drill, in seconds.', ({ newestFinished }) => newestFinished?.rtoSeconds);
  perDrill('drill_rpo_seconds', 'Measured RPO of the newest finished DRDrillRun of each drill, in seconds.', ({ newestFinished }) => newestFinished?.rpoSeconds);
  perDrill('drill_last_passed_timestamp_seconds', 'Completion time of the newest DRDrillRun that passed, per drill (Unix seconds).', ({ newestPassed }) =>
    seconds(newestPassed?.completionTime),
  );
  perDrill('drill_duration_seconds', 'Wall time of the newest finished DRDrillRun of each drill, from its start to its completion (cleanup included), in seconds.', ({ newestFinished }) => {
    const start = seconds(newestFinished?.startTime);
    const end = seconds(newestFinished?.completionTime);
    return start === undefined || end === undefined ? undefined : Math.max(0, end - start);
  });
  perDrill('drill_created_timestamp_seconds', 'Creation time of each DRDrill (Unix seconds): for a drill that never passed, the no-passed-drill alert counts from here.', ({ drill }) =>
    seconds(drill.metadata.creationTimestamp),
  );
  perDrill('drill_recurring', 'Whether each drill repeats (spec.schedule set): 1 recurring, 0 one-off. The no-passed-drill alert is for recurring drills only.', ({ drill }) =>
    drill.spec?.schedule ? 1 : 0,
  );
  new Gauge({
    name: `${prefix}drill_objective_met`,
    help: 'Whether the newest finished DRDrillRun of each drill met each objective (objective rto or rpo): 1 met, 0 missed; absent when the run measured nothing (it failed before the data was recovered).',
    labelNames: ['namespace', 'drill', 'objective'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, newestFinishedRun } of figures()) {
        for (const objective of OBJECTIVES) {
          const met = newestFinishedRun?.status?.[objective]?.met;
          if (met !== undefined) this.set({ ...labels, objective }, met ? 1 : 0);
        }
      }
    },
  });
  new Gauge({
    name: `${prefix}drill_runs`,
    help: 'DRDrillRuns of each drill by result: Running, Passed, Failed, or Unknown before the first reconcile.',
    labelNames: ['namespace', 'drill', 'result'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, runs } of figures()) {
        const counts = new Map<string, number>();
        for (const run of runs) counts.set(run.result ?? 'Unknown', (counts.get(run.result ?? 'Unknown') ?? 0) + 1);
        for (const [result, count] of counts) this.set({ ...labels, result }, count);
      }
    },
  });
}
