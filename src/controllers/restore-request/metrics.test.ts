// The restore metrics (docs/restore.md "Metrics", docs/metrics.md "Restores"), read from the
// registry while the controller drives restores on the in-memory API server: a restore that
// reaches a final phase is observed once in lifeboat_restore_duration_seconds, with the duration
// its status reports; lifeboat_restore_requests counts the RestoreRequests by phase from the
// cache. A process that starts over finished restores reports them in the gauge only: its
// histogram starts from zero. The test plays the Job controller.
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Registry } from 'prom-client';
import { Labels, MANAGED_BY } from '../../core/index.ts';
import { allSecrets } from '../../core/testing/builders.ts';
import { aRestore, postgresRestored, succeededAppBackup } from '../../core/testing/restore-builders.ts';
import { JOBS, PODS, SECRETS, type ResourceType } from '../../kube/resource-type.ts';
import type { MemoryKubeClient } from '../../kube/testing/memory-client.ts';
import type { KubeObject } from '../../kube/types.ts';
import { memoryCluster, reconcileUntilQuiet, type MemoryCluster } from '../../runtime/testing/memory-cluster.ts';
import type { StoredRun } from '../informers.ts';
import { BACKUP_RUNS, RESTORE_REQUESTS } from '../resource-types.ts';
import { playJobController, writesOfOneMorePass } from '../testing/job-controller.ts';
import { reconcileRestore, restoreConfig, restoreInformers } from './controller.ts';
import { restoreMetrics } from './metrics.ts';
import type { RestoreInformers, StoredRestore } from './observe.ts';

const NAMESPACE = 'prod';
const DURATION = 'lifeboat_restore_duration_seconds';
const REQUESTS = 'lifeboat_restore_requests';

const clusters: MemoryCluster[] = [];
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((cluster) => cluster.stop()));
});

/** The samples of one metric in the exposition format, comments left out. */
async function samples(registry: Registry, name: string): Promise<string[]> {
  const text = await registry.getSingleMetricAsString(name);
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

/** The histogram's _count and _sum of each series, without the buckets. */
async function countsAndSums(registry: Registry): Promise<string[]> {
  return (await samples(registry, DURATION)).filter((line) => !line.includes('_bucket{'));
}

function restoreNamed(name: string, source = 'db'): StoredRestore {
  const restore = aRestore({
    finalizers: [],
    spec: { backup: { backupRunRef: { name: 'app-1' } }, targets: [{ source, postgres: { host: 'db-restore', database: `${name}_restored`, connectionSecret: { name: 'pg' } } }] },
  });
  return { ...restore, metadata: { ...restore.metadata, name, uid: `uid-${name}` } } as StoredRestore;
}

const backupRun = succeededAppBackup() as StoredRun;

/** A fresh operator process: its own API server view, informers and registry. */
async function operator(now: string, seed: (client: MemoryKubeClient) => void) {
  const cluster = memoryCluster({ now: new Date(now) });
  clusters.push(cluster);
  const { client, context } = cluster;
  const informers = restoreInformers(context);
  const metrics = restoreMetrics(context.metrics.registry, context.metrics.prefix, informers);
  const config = restoreConfig(context);
  seed(client);
  await cluster.sync();
  const pass = (name: string, from: RestoreInformers = informers) => reconcileRestore(context, from, metrics, config, cluster.request(NAMESPACE, name));
  const quiet = (name: string) => reconcileUntilQuiet(client, () => pass(name));
  const jobs = (owner: string) => playJobController(cluster, NAMESPACE, Labels.restoreRequest, owner);
  const phase = (name: string) => client.peek<StoredRestore>(RESTORE_REQUESTS, NAMESPACE, name)?.status;
  return { ...cluster, restoreInformers: informers, registry: context.metrics.registry, pass, quiet, jobs, phase };
}

function seedBackup(client: MemoryKubeClient): void {
  for (const secret of allSecrets) {
    client.set(SECRETS, { metadata: { name: secret.name, namespace: NAMESPACE }, data: Object.fromEntries(secret.keys.map((key) => [key, btoa('x')])) } as KubeObject);
  }
  client.set(BACKUP_RUNS, backupRun);
}

/** The Job controller giving up on a Job whose runner reported why (BackoffLimitExceeded). */
function failJob(client: MemoryKubeClient, owner: string, name: string, startTime: string, failedAt: string): void {
  const job = client.peek<KubeObject>(JOBS, NAMESPACE, name);
  if (!job) throw new Error(`no Job ${name}`);
  const result = { ok: false, subcommand: 'postgres-restore', code: 'AuthenticationFailed', reason: 'password authentication failed for user "app"' };
  client.set(PODS, {
    metadata: { name: `${name}-pod`, namespace: NAMESPACE, creationTimestamp: startTime, labels: { [Labels.managedBy]: MANAGED_BY, [Labels.restoreRequest]: owner, 'batch.kubernetes.io/job-name': name } },
    status: { phase: 'Failed', containerStatuses: [{ name: 'runner', state: { terminated: { exitCode: 1, message: JSON.stringify(result), finishedAt: failedAt } } }] },
  } as KubeObject);
  client.set(JOBS, { ...job, status: { startTime, failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', lastTransitionTime: failedAt }] } });
}

describe('restore metrics', () => {
  it('count a restore that succeeded once, with the duration its status reports, and not again on later passes', async () => {
    const op = await operator('2025-01-02T10:00:05Z', (client) => {
      seedBackup(client);
      client.set(RESTORE_REQUESTS, restoreNamed('undo'));
    });
    await op.quiet('undo');
    expect(op.phase('undo')?.phase).toBe('Pending');
    expect(await samples(op.registry, REQUESTS)).toEqual(['lifeboat_restore_requests{namespace="prod",phase="Pending"} 1']);
    expect(await countsAndSums(op.registry)).toEqual([]);

    op.jobs('undo').running('undo-db', '2025-01-02T10:00:10Z');
    await op.quiet('undo');
    expect(await samples(op.registry, REQUESTS)).toEqual(['lifeboat_restore_requests{namespace="prod",phase="Running"} 1']);
    expect(await countsAndSums(op.registry)).toEqual([]);

    op.jobs('undo').succeeded('undo-db', postgresRestored(), '2025-01-02T10:00:10Z', '2025-01-02T10:01:30Z');
    await op.clock.advance(90_000);
    await op.quiet('undo');
    const status = op.phase('undo');
    expect(status).toMatchObject({ phase: 'Succeeded', durationSeconds: 80 });

    const counted = [
      'lifeboat_restore_duration_seconds_sum{namespace="prod",phase="Succeeded"} 80',
      'lifeboat_restore_duration_seconds_count{namespace="prod",phase="Succeeded"} 1',
    ];
    expect(await countsAndSums(op.registry)).toEqual(counted);
    // 80 s falls between the 60 s and 120 s buckets.
    const buckets = await samples(op.registry, DURATION);
    expect(buckets).toContain('lifeboat_restore_duration_seconds_bucket{le="60",namespace="prod",phase="Succeeded"} 0');
    expect(buckets).toContain('lifeboat_restore_duration_seconds_bucket{le="120",namespace="prod",phase="Succeeded"} 1');
    expect(await samples(op.registry, REQUESTS)).toEqual(['lifeboat_restore_requests{namespace="prod",phase="Succeeded"} 1']);

    // Passes with nothing changed, at once and a day later, count nothing more.
    expect(await writesOfOneMorePass(op, () => op.pass('undo'))).toEqual([]);
    await op.clock.advance(24 * 3_600_000);
    expect(await writesOfOneMorePass(op, () => op.pass('undo'))).toEqual([]);
    expect(await countsAndSums(op.registry)).toEqual(counted);

    // A status write that keeps the final phase (a new generation observed) counts nothing either.
    const finished = op.client.peek<StoredRestore>(RESTORE_REQUESTS, NAMESPACE, 'undo')!;
    op.client.set(RESTORE_REQUESTS, { ...finished, metadata: { ...finished.metadata, generation: 2 } });
    const rewritten = await op.quiet('undo');
    expect(rewritten.writes.map((write) => `${write.method} ${write.type.kind}`)).toEqual(['patchStatus RestoreRequest']);
    expect(op.phase('undo')).toMatchObject({ phase: 'Succeeded', observedGeneration: 2 });
    expect(await countsAndSums(op.registry)).toEqual(counted);
  });

  it('count a restore whose Job failed under Failed; one refused before any Job is a Failed RestoreRequest but has no duration to count', async () => {
    const op = await operator('2025-01-02T10:00:05Z', (client) => {
      seedBackup(client);
      client.set(RESTORE_REQUESTS, restoreNamed('broken'));
      // A source the backup does not have: refused at once, no Job.
      client.set(RESTORE_REQUESTS, restoreNamed('refused', 'nope'));
    });
    await op.quiet('broken');
    await op.quiet('refused');
    expect(op.phase('refused')?.phase).toBe('Failed');
    expect(op.client.peek(JOBS, NAMESPACE, 'refused-nope')).toBeUndefined();
    expect(await countsAndSums(op.registry)).toEqual([]);

    failJob(op.client, 'broken', 'broken-db', '2025-01-02T10:00:10Z', '2025-01-02T10:00:55Z');
    await op.clock.advance(60_000);
    await op.quiet('broken');
    expect(op.phase('broken')).toMatchObject({ phase: 'Failed', durationSeconds: 45 });

    const counted = [
      'lifeboat_restore_duration_seconds_sum{namespace="prod",phase="Failed"} 45',
      'lifeboat_restore_duration_seconds_count{namespace="prod",phase="Failed"} 1',
    ];
    expect(await countsAndSums(op.registry)).toEqual(counted);
    expect(await samples(op.registry, REQUESTS)).toEqual(['lifeboat_restore_requests{namespace="prod",phase="Failed"} 2']);

    for (const name of ['broken', 'refused']) expect(await writesOfOneMorePass(op, () => op.pass(name))).toEqual([]);
    expect(await countsAndSums(op.registry)).toEqual(counted);
  });

  it('do not count a restore again when a pass from a cache that has not seen its final status repeats the step: the write is refused', async () => {
    const op = await operator('2025-01-02T10:00:05Z', (client) => {
      seedBackup(client);
      client.set(RESTORE_REQUESTS, restoreNamed('undo'));
    });
    await op.quiet('undo');
    op.jobs('undo').running('undo-db', '2025-01-02T10:00:10Z');
    await op.quiet('undo');
    const running = op.restoreInformers.restores.get(NAMESPACE, 'undo')!;
    expect(running.status?.phase).toBe('Running');

    op.jobs('undo').succeeded('undo-db', postgresRestored(), '2025-01-02T10:00:10Z', '2025-01-02T10:01:30Z');
    await op.quiet('undo');
    expect(op.phase('undo')?.phase).toBe('Succeeded');

    // The restore's watch lags behind its Job's: the cache still holds the Running version.
    const lagging: RestoreInformers = {
      ...op.restoreInformers,
      restores: { get: () => running, list: () => [running] } as unknown as RestoreInformers['restores'],
    };
    await expect(op.pass('undo', lagging)).rejects.toMatchObject({ statusCode: 409 });
    expect(await countsAndSums(op.registry)).toEqual([
      'lifeboat_restore_duration_seconds_sum{namespace="prod",phase="Succeeded"} 80',
      'lifeboat_restore_duration_seconds_count{namespace="prod",phase="Succeeded"} 1',
    ]);
  });

  it('after a restart report the finished restores in the gauge from the first scrape, and count in the histogram only what finishes in the new process', async () => {
    const before = await operator('2025-01-02T10:00:05Z', (client) => {
      seedBackup(client);
      for (const name of ['undo', 'broken', 'late']) client.set(RESTORE_REQUESTS, restoreNamed(name));
    });
    for (const name of ['undo', 'broken', 'late']) await before.quiet(name);
    before.jobs('undo').succeeded('undo-db', postgresRestored(), '2025-01-02T10:00:10Z', '2025-01-02T10:01:30Z');
    failJob(before.client, 'broken', 'broken-db', '2025-01-02T10:00:10Z', '2025-01-02T10:00:55Z');
    before.jobs('late').running('late-db', '2025-01-02T10:00:10Z');
    await before.clock.advance(120_000);
    for (const name of ['undo', 'broken', 'late']) await before.quiet(name);
    expect(['undo', 'broken', 'late'].map((name) => before.phase(name)?.phase)).toEqual(['Succeeded', 'Failed', 'Running']);
    expect(await countsAndSums(before.registry)).toHaveLength(4);

    // The operator stops; while it is away, the Job of `late` finishes. A new process lists it all.
    const types: ResourceType[] = [RESTORE_REQUESTS, BACKUP_RUNS, JOBS, PODS, SECRETS];
    const objects = await Promise.all(types.map(async (type) => ({ type, items: (await before.client.list<KubeObject>(type)).items })));
    const after = await operator('2025-01-02T11:00:00Z', (client) => {
      for (const { type, items } of objects) for (const item of items) client.set(type, item);
    });
    after.jobs('late').succeeded('late-db', postgresRestored(), '2025-01-02T10:00:10Z', '2025-01-02T10:10:10Z');

    expect((await samples(after.registry, REQUESTS)).sort()).toEqual([
      'lifeboat_restore_requests{namespace="prod",phase="Failed"} 1',
      'lifeboat_restore_requests{namespace="prod",phase="Running"} 1',
      'lifeboat_restore_requests{namespace="prod",phase="Succeeded"} 1',
    ]);
    expect(await countsAndSums(after.registry)).toEqual([]);

    for (const name of ['undo', 'broken', 'late']) await after.quiet(name);
    expect(after.phase('late')).toMatchObject({ phase: 'Succeeded', durationSeconds: 600 });
    expect(await countsAndSums(after.registry)).toEqual([
      'lifeboat_restore_duration_seconds_sum{namespace="prod",phase="Succeeded"} 600',
      'lifeboat_restore_duration_seconds_count{namespace="prod",phase="Succeeded"} 1',
    ]);
    expect((await samples(after.registry, REQUESTS)).sort()).toEqual([
      'lifeboat_restore_requests{namespace="prod",phase="Failed"} 1',
      'lifeboat_restore_requests{namespace="prod",phase="Succeeded"} 2',
    ]);
  });
});
