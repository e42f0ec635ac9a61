// The backup gauges the alerts read (charts/lifeboat/files/prometheus-rules.yaml), computed from
// the caches of the in-memory API server at scrape time: nothing before both caches listed, the
// RPO inputs from the schedule's spec, status and creation, the newest finished run's result, and
// the deletions the artifacts finalizer still holds.
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Registry } from 'prom-client';
import { aBackupRun, scheduleSpec } from '../core/testing/builders.ts';
import type { KubeObject } from '../kube/types.ts';
import { memoryCluster, type MemoryCluster } from '../runtime/testing/memory-cluster.ts';
import { backupInformers, type StoredRun } from './informers.ts';
import { backupMetrics } from './metrics.ts';
import { BACKUP_RUNS, BACKUP_SCHEDULES } from './resource-types.ts';

const NAMESPACE = 'prod';

let cluster: MemoryCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

/** Each series of `name` as "label=value,... value", sorted. */
async function series(registry: Registry, name: string): Promise<string[]> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values
    .map(({ labels, value }) => `${Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)).map(([key, label]) => `${key}=${String(label)}`).join(',')} ${value}`)
    .sort();
}

function schedule(name: string, created: string, spec: Record<string, unknown>, status?: Record<string, unknown>): KubeObject {
  return { metadata: { name, namespace: NAMESPACE, uid: `uid-${name}`, creationTimestamp: created }, spec: scheduleSpec(spec), ...(status ? { status } : {}) } as KubeObject;
}

function run(name: string, scheduleName: string, phase: string | undefined, completion?: string, extra: { deleting?: string; finalizers?: string[]; verified?: 'True' | 'False' | 'Unknown'; sizeBytes?: number } = {}): StoredRun {
  const { verified, sizeBytes, ...fixture } = extra;
  const conditions = verified ? [{ type: 'Verified', status: verified, reason: verified === 'False' ? 'ChecksumMismatch' : 'Verifying', message: '', lastTransitionTime: completion ?? '2025-01-01T00:00:00Z' }] : undefined;
  const built = aBackupRun({
    name,
    created: '2025-01-01T00:00:00Z',
    ...fixture,
    ...(phase ? { status: { phase: phase as 'Succeeded', ...(completion ? { completionTime: completion } : {}), ...(conditions ? { conditions } : {}), ...(sizeBytes !== undefined ? { sizeBytes } : {}) } } : {}),
  }) as StoredRun;
  built.metadata.labels = { 'lifeboat.dev/schedule': scheduleName };
  return built;
}

async function metricsOf(objects: { schedules?: KubeObject[]; runs?: StoredRun[] }, sync = true) {
  cluster = memoryCluster({ now: new Date('2025-01-02T12:00:00Z') });
  const { client, context } = cluster;
  const informers = backupInformers(context.informers);
  backupMetrics(context.metrics.registry, context.metrics.prefix, informers);
  for (const object of objects.schedules ?? []) client.set(BACKUP_SCHEDULES, object);
  for (const object of objects.runs ?? []) client.set(BACKUP_RUNS, object);
  if (sync) await cluster.sync();
  return context.metrics.registry;
}

describe('backup metrics', () => {
  it('report nothing until both caches have listed, so a restart never looks like a schedule without backups', async () => {
    const registry = await metricsOf(
      { schedules: [schedule('app', '2025-01-01T00:00:00Z', { objectives: { rpo: '24h' } })], runs: [run('app-1', 'app', 'Failed', '2025-01-01T02:00:00Z')] },
      false,
    );
    for (const name of ['lifeboat_backup_rpo_objective_seconds', 'lifeboat_backup_schedule_created_timestamp_seconds', 'lifeboat_backup_last_result', 'lifeboat_backup_runs']) {
      expect(await series(registry, name)).toEqual([]);
    }
  });

  it('give the RPO objective in seconds, the newest backup\'s data time (snapshot, else completion) and the creation time', async () => {
    const registry = await metricsOf({
      schedules: [
        schedule('snap', '2025-01-01T00:00:00Z', { objectives: { rpo: '1h30m' } }, { lastSuccessfulRun: { name: 'snap-1', snapshotTime: '2025-01-02T02:00:10Z', completionTime: '2025-01-02T02:05:00Z' } }),
        schedule('nosnap', '2025-01-01T00:00:00Z', { objectives: { rpo: '24h' } }, { lastSuccessfulRun: { name: 'nosnap-1', completionTime: '2025-01-02T03:00:00Z' } }),
        schedule('never', '2025-01-01T06:00:00Z', { objectives: { rpo: '24h' } }),
        schedule('noobjective', '2025-01-01T00:00:00Z', {}),
      ],
    });
    expect(await series(registry, 'lifeboat_backup_rpo_objective_seconds')).toEqual([
      'namespace=prod,schedule=never 86400',
      'namespace=prod,schedule=nosnap 86400',
      'namespace=prod,schedule=snap 5400',
    ]);
    expect(await series(registry, 'lifeboat_backup_last_snapshot_timestamp_seconds')).toEqual([
      `namespace=prod,schedule=nosnap ${Date.parse('2025-01-02T03:00:00Z') / 1000}`,
      `namespace=prod,schedule=snap ${Date.parse('2025-01-02T02:00:10Z') / 1000}`,
    ]);
    expect(await series(registry, 'lifeboat_backup_last_success_timestamp_seconds')).toContain(`namespace=prod,schedule=snap ${Date.parse('2025-01-02T02:05:00Z') / 1000}`);
    expect(await series(registry, 'lifeboat_backup_schedule_created_timestamp_seconds')).toContain(`namespace=prod,schedule=never ${Date.parse('2025-01-01T06:00:00Z') / 1000}`);
  });

  it('give the result of the newest finished run by completion, leaving out runs in progress and runs being deleted', async () => {
    const registry = await metricsOf({
      runs: [
        // recovered: a failure, then a success
        run('recovered-1', 'recovered', 'Failed', '2025-01-01T02:00:00Z'),
        run('recovered-2', 'recovered', 'Succeeded', '2025-01-02T02:00:00Z'),
        run('recovered-3', 'recovered', 'Running'),
        // broken: a success, then a failure; the newer failure being deleted does not count
        run('broken-1', 'broken', 'Succeeded', '2025-01-01T02:00:00Z'),
        run('broken-2', 'broken', 'Failed', '2025-01-02T02:00:00Z'),
        run('broken-3', 'broken', 'Succeeded', '2025-01-02T04:00:00Z', { deleting: '2025-01-02T05:00:00Z' }),
        run('partial-1', 'partial', 'PartiallyFailed', '2025-01-02T02:00:00Z'),
        run('fresh-1', 'fresh', undefined),
      ],
    });
    expect(await series(registry, 'lifeboat_backup_last_result')).toEqual([
      'namespace=prod,schedule=broken 0',
      'namespace=prod,schedule=partial 0',
      'namespace=prod,schedule=recovered 1',
    ]);
  });

  it('count a Succeeded run that failed verification as a failed result (LifeboatBackupFailed fires), and wait for one still being verified', async () => {
    const registry = await metricsOf({
      runs: [
        // corrupt: the newest run's read-back failed
        run('corrupt-1', 'corrupt', 'Succeeded', '2025-01-01T02:00:00Z', { verified: 'True', sizeBytes: 100 }),
        run('corrupt-2', 'corrupt', 'Succeeded', '2025-01-02T02:00:00Z', { verified: 'False', sizeBytes: 200 }),
        // reading: the newest is still being read back; the one before it failed, and that stands
        run('reading-1', 'reading', 'Failed', '2025-01-01T02:00:00Z'),
        run('reading-2', 'reading', 'Succeeded', '2025-01-02T02:00:00Z', { verified: 'Unknown', sizeBytes: 300 }),
      ],
    });
    expect(await series(registry, 'lifeboat_backup_last_result')).toEqual(['namespace=prod,schedule=corrupt 0', 'namespace=prod,schedule=reading 0']);
    // The newest successful backup's size is the usable one's.
    expect(await series(registry, 'lifeboat_backup_last_size_bytes')).toEqual(['namespace=prod,schedule=corrupt 100']);
  });

  it('count the runs being deleted that the artifacts finalizer holds, and give the oldest deletion time', async () => {
    const registry = await metricsOf({
      runs: [
        run('app-1', 'app', 'Succeeded', '2025-01-01T02:00:00Z', { deleting: '2025-01-02T10:00:00Z' }),
        run('app-2', 'app', 'Succeeded', '2025-01-01T03:00:00Z', { deleting: '2025-01-02T08:00:00Z' }),
        run('app-3', 'app', 'Succeeded', '2025-01-01T04:00:00Z'),
        // another finalizer holds it, not Lifeboat's artifacts finalizer
        run('other-1', 'other', 'Succeeded', '2025-01-01T02:00:00Z', { deleting: '2025-01-02T08:00:00Z', finalizers: ['example.com/hold'] }),
      ],
    });
    expect(await series(registry, 'lifeboat_backup_artifact_deletions_pending')).toEqual(['namespace=prod,schedule=app 2']);
    expect(await series(registry, 'lifeboat_backup_artifact_deletion_oldest_timestamp_seconds')).toEqual([
      `namespace=prod,schedule=app ${Date.parse('2025-01-02T08:00:00Z') / 1000}`,
    ]);
  });
});
