// The drill gauges the alerts read (charts/lifeboat/files/prometheus-rules.yaml), from the caches
// of the in-memory API server at scrape time: nothing before both caches listed, whether the
// newest finished run met each objective, when the drill was created and whether it repeats.
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Registry } from 'prom-client';
import type { DRDrillRunStatus } from '../../api/index.ts';
import { drillSpec, runStatus } from '../../core/testing/drill-builders.ts';
import type { KubeObject } from '../../kube/types.ts';
import { memoryCluster, type MemoryCluster } from '../../runtime/testing/memory-cluster.ts';
import { DR_DRILL_RUNS, DR_DRILLS } from '../resource-types.ts';
import { drillMetrics } from './metrics.ts';
import { drillInformers } from './observe.ts';

const NAMESPACE = 'prod';

let cluster: MemoryCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function series(registry: Registry, name: string): Promise<string[]> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values
    .map(({ labels, value }) => `${Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)).map(([key, label]) => `${key}=${String(label)}`).join(',')} ${value}`)
    .sort();
}

function drill(name: string, created: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'lifeboat.dev/v1alpha1',
    kind: 'DRDrill',
    metadata: { name, namespace: NAMESPACE, uid: `uid-${name}`, creationTimestamp: created },
    spec: drillSpec(spec),
  } as KubeObject;
}

function drillRun(drillName: string, name: string, status: DRDrillRunStatus): KubeObject {
  return {
    apiVersion: 'lifeboat.dev/v1alpha1',
    kind: 'DRDrillRun',
    metadata: {
      name,
      namespace: NAMESPACE,
      creationTimestamp: status.startTime,
      labels: { 'lifeboat.dev/drill': drillName },
      ownerReferences: [{ apiVersion: 'lifeboat.dev/v1alpha1', kind: 'DRDrill', name: drillName, uid: `uid-${drillName}`, controller: true }],
    },
    spec: { drillRef: { name: drillName } },
    status,
  } as KubeObject;
}

/** A run that missed its RTO objective (measured 2h against 1h) and met its RPO one. */
function rtoMissed(start: string, end: string): DRDrillRunStatus {
  return {
    ...runStatus('Failed', start, end),
    reason: 'RTOMissed',
    rto: { measured: '2h', measuredSeconds: 7200, met: false },
    rpo: { measured: '2h11m', measuredSeconds: 7860, met: true },
    objectives: 'RTOMissed',
  };
}

async function metricsOf(drills: KubeObject[], runs: KubeObject[], sync = true) {
  cluster = memoryCluster({ now: new Date('2025-01-20T12:00:00Z') });
  const { client, context } = cluster;
  drillMetrics(context.metrics.registry, context.metrics.prefix, drillInformers(context.informers));
  for (const object of drills) client.set(DR_DRILLS, object);
  for (const object of runs) client.set(DR_DRILL_RUNS, object);
  if (sync) await cluster.sync();
  return context.metrics.registry;
}

describe('drill metrics', () => {
  it('report nothing until both caches have listed, so a restart never looks like a drill that never passed', async () => {
    const registry = await metricsOf([drill('weekly', '2025-01-01T00:00:00Z')], [drillRun('weekly', 'weekly-1', runStatus('Passed', '2025-01-05T04:00:00Z', '2025-01-05T04:40:00Z'))], false);
    for (const name of ['lifeboat_drill_created_timestamp_seconds', 'lifeboat_drill_last_passed_timestamp_seconds', 'lifeboat_drill_recurring', 'lifeboat_drill_objective_met']) {
      expect(await series(registry, name)).toEqual([]);
    }
  });

  it('say per objective whether the newest finished run met it, and nothing for a run that measured nothing', async () => {
    const registry = await metricsOf(
      [drill('slow', '2025-01-01T00:00:00Z'), drill('recovered', '2025-01-01T00:00:00Z'), drill('broken', '2025-01-01T00:00:00Z')],
      [
        drillRun('slow', 'slow-1', runStatus('Passed', '2025-01-05T04:00:00Z', '2025-01-05T04:40:00Z')),
        drillRun('slow', 'slow-2', rtoMissed('2025-01-12T04:00:00Z', '2025-01-12T06:00:00Z')),
        drillRun('recovered', 'recovered-1', rtoMissed('2025-01-05T04:00:00Z', '2025-01-05T06:00:00Z')),
        drillRun('recovered', 'recovered-2', { ...runStatus('Passed', '2025-01-12T04:00:00Z', '2025-01-12T04:40:00Z'), rto: { measured: '40m', measuredSeconds: 2400, met: true }, rpo: { measured: '2h', measuredSeconds: 7200, met: true } }),
        drillRun('broken', 'broken-1', { result: 'Failed', reason: 'RestoreFailed', startTime: '2025-01-12T04:00:00Z', completionTime: '2025-01-12T04:10:00Z' }),
      ],
    );
    expect(await series(registry, 'lifeboat_drill_objective_met')).toEqual([
      'drill=recovered,namespace=prod,objective=rpo 1',
      'drill=recovered,namespace=prod,objective=rto 1',
      'drill=slow,namespace=prod,objective=rpo 1',
      'drill=slow,namespace=prod,objective=rto 0',
    ]);
    expect(await series(registry, 'lifeboat_drill_last_result')).toEqual(['drill=broken,namespace=prod 0', 'drill=recovered,namespace=prod 1', 'drill=slow,namespace=prod 0']);
  });

  it('rebuild RTO, RPO, duration and last passed from the stored runs alone, as a restarted operator does', async () => {
    // Runs finished before this process: a passed one, a newer failed one, and one still running.
    const drills = [drill('weekly', '2025-01-01T00:00:00Z'), drill('broken', '2025-01-01T00:00:00Z')];
    const runs = [
      drillRun('weekly', 'weekly-1', { ...runStatus('Passed', '2025-01-05T04:00:00Z', '2025-01-05T04:40:00Z'), rto: { measured: '39m', measuredSeconds: 2340, met: true }, rpo: { measured: '2h11m', measuredSeconds: 7860, met: true } }),
      drillRun('weekly', 'weekly-2', rtoMissed('2025-01-12T04:00:00Z', '2025-01-12T06:00:00Z')),
      drillRun('weekly', 'weekly-3', runStatus('Running', '2025-01-19T04:00:00Z')),
      drillRun('broken', 'broken-1', { result: 'Failed', reason: 'RestoreFailed', startTime: '2025-01-12T04:00:00Z', completionTime: '2025-01-12T04:10:30Z' }),
    ];
    const expected = {
      // The newest finished run of weekly is weekly-2 (the running one does not count yet);
      // broken measured nothing, so it has no RTO or RPO series.
      lifeboat_drill_rto_seconds: ['drill=weekly,namespace=prod 7200'],
      lifeboat_drill_rpo_seconds: ['drill=weekly,namespace=prod 7860'],
      lifeboat_drill_duration_seconds: ['drill=broken,namespace=prod 630', 'drill=weekly,namespace=prod 7200'],
      // Only a passed run counts: weekly-1's completion; broken never passed.
      lifeboat_drill_last_passed_timestamp_seconds: [`drill=weekly,namespace=prod ${Date.parse('2025-01-05T04:40:00Z') / 1000}`],
      lifeboat_drill_last_result: ['drill=broken,namespace=prod 0', 'drill=weekly,namespace=prod 0'],
      lifeboat_drill_runs: ['drill=broken,namespace=prod,result=Failed 1', 'drill=weekly,namespace=prod,result=Failed 1', 'drill=weekly,namespace=prod,result=Passed 1', 'drill=weekly,namespace=prod,result=Running 1'],
    };
    const scrape = async (registry: Registry) => Object.fromEntries(await Promise.all(Object.keys(expected).map(async (name) => [name, await series(registry, name)] as const)));
    expect(await scrape(await metricsOf(drills, runs))).toEqual(expected);
    // A second process over the same stored objects (the first one gone) reports the same.
    await cluster?.stop();
    expect(await scrape(await metricsOf(drills, runs))).toEqual(expected);
  });

  it('give each drill\'s creation time and whether it repeats', async () => {
    const registry = await metricsOf([drill('weekly', '2025-01-01T00:00:00Z'), drill('once', '2025-01-03T00:00:00Z', { schedule: undefined })], []);
    expect(await series(registry, 'lifeboat_drill_created_timestamp_seconds')).toEqual([
      `drill=once,namespace=prod ${Date.parse('2025-01-03T00:00:00Z') / 1000}`,
      `drill=weekly,namespace=prod ${Date.parse('2025-01-01T00:00:00Z') / 1000}`,
    ]);
    expect(await series(registry, 'lifeboat_drill_recurring')).toEqual(['drill=once,namespace=prod 0', 'drill=weekly,namespace=prod 1']);
    expect(await series(registry, 'lifeboat_drill_last_passed_timestamp_seconds')).toEqual([]);
  });
});
