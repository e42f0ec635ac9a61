// Helpers of the drill tests that look past the operator's word: which scratch databases and
// buckets of a run really exist on the servers (found by the run's scratch prefix, not only the
// names its status lists), removing what a test deliberately left behind, a database big
// enough that its restore runs for a few seconds (to act while it runs), and the Jobs and pods
// of a run.
import { DeleteBucketCommand, DeleteObjectsCommand, ListBucketsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { JOBS, PODS } from '../../../src/kube/resource-type.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import { adminS3, seedDatabase, withDatabase } from '../../support/backup-fixture.ts';
import { testEnv } from '../../support/env.ts';
import { waitFor } from '../../support/wait.ts';
import type { DrillRunObject } from './drill-support.ts';
import { applySchedule, type JobObject, type Scene } from './support.ts';

/**
 * The operator's default lease timings (15s, renew deadline 10s) instead of the tests' short
 * ones: writing and restoring a database of a million rows slows etcd on a busy machine, and an
 * operator that misses its 3-second renew deadline stops for good (in production its process
 * would exit and be restarted; in a test nothing restarts it).
 */
export const DEFAULT_LEASE: Record<string, string> = {
  LIFEBOAT_LEASE_DURATION_SECONDS: '15',
  LIFEBOAT_RENEW_DEADLINE_SECONDS: '10',
  LIFEBOAT_RETRY_PERIOD_SECONDS: '2',
};

export interface PodObject extends KubeObject {
  status?: { phase?: string };
}

/**
 * The prefixes every scratch name of `run` starts with: lifeboat_scratch_<id>_ and
 * lifeboat-scratch-<id>-, the id being the incident's Unix seconds and the first four letters
 * and digits of the run's uid (decide-drill-run.ts, runIdOf). Tests assert that the names in
 * status start with them, so a change of the id shows up here rather than as a false "gone".
 */
export function scratchPrefixes(run: DrillRunObject): { database: string; bucket: string } {
  const seconds = Math.floor(new Date(run.metadata.creationTimestamp as string).getTime() / 1000);
  const id = `${seconds}${(run.metadata.uid ?? '').replace(/[^a-z0-9]/g, '').slice(0, 4)}`;
  return { database: `lifeboat_scratch_${id}_`, bucket: `lifeboat-scratch-${id}-` };
}

export async function databasesStartingWith(prefix: string): Promise<string[]> {
  return withDatabase(testEnv(), 'postgres', async (client) => {
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY 1', [prefix]);
    return rows.map((row) => row.datname);
  });
}

export async function bucketsStartingWith(prefix: string): Promise<string[]> {
  const s3 = adminS3(testEnv());
  try {
    const { Buckets } = await s3.send(new ListBucketsCommand({}));
    return (Buckets ?? []).map((bucket) => bucket.Name ?? '').filter((name) => name.startsWith(prefix)).sort();
  } finally {
    s3.destroy();
  }
}

/** Every scratch database and bucket of the run that exists right now. */
export async function existingScratch(run: DrillRunObject): Promise<{ databases: string[]; buckets: string[] }> {
  const prefixes = scratchPrefixes(run);
  return { databases: await databasesStartingWith(prefixes.database), buckets: await bucketsStartingWith(prefixes.bucket) };
}

export async function objectCount(bucket: string): Promise<number> {
  const s3 = adminS3(testEnv());
  try {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    return page.KeyCount ?? 0;
  } finally {
    s3.destroy();
  }
}

/** Removes scratch targets a test left behind on purpose (a bucket is emptied first). */
export async function dropScratch(scratch: { databases?: string[] | undefined; buckets?: string[] | undefined }): Promise<void> {
  for (const database of scratch.databases ?? []) {
    await withDatabase(testEnv(), 'postgres', (client) => client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
  }
  const s3 = adminS3(testEnv());
  try {
    for (const bucket of scratch.buckets ?? []) {
      for (;;) {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket })).catch((error: { name?: string }) => {
          if (error.name === 'NoSuchBucket') return undefined;
          throw error;
        });
        if (!page) break;
        const keys = (page.Contents ?? []).map((entry) => ({ Key: entry.Key ?? '' }));
        if (keys.length === 0) {
          await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
          break;
        }
        await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
      }
    }
  } finally {
    s3.destroy();
  }
}

/**
 * A schedule `name` whose PostgreSQL source (app-db) is database <fixture database>_<name>: the
 * fixture's three tables and `documents`, `rows` rows with two indexes on text that pg_restore
 * rebuilds (a dump holds only their definitions), so that its restore takes a few seconds.
 * `sources` may add the fixture's buckets.
 */
export async function applyBigDatabaseSchedule(scene: Scene, name: string, rows: number, sources: string[] = ['app-db']): Promise<string> {
  const env = testEnv();
  const database = `${scene.fixture.database}_${name.replace(/[^a-z0-9]/g, '_')}`;
  await seedDatabase(env, database);
  await withDatabase(env, database, (client) =>
    client.query(`
      CREATE TABLE documents (id bigint PRIMARY KEY, title text NOT NULL, body text NOT NULL);
      INSERT INTO documents SELECT n, 'document ' || n, repeat(md5(n::text), 3) FROM generate_series(1, ${rows}) AS n;
      CREATE INDEX documents_title ON documents (title);
      CREATE INDEX documents_body ON documents (body);
    `),
  );
  await applySchedule(scene.client, { ...scene.fixture, database }, { name, schedule: '0 0 1 1 *', sources });
  return database;
}

export async function dropDatabase(database: string): Promise<void> {
  await withDatabase(testEnv(), 'postgres', (client) => client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
}

/** The Jobs of a drill run (label lifeboat.dev/drill-run). */
export async function drillJobs(scene: Scene, run: string): Promise<(JobObject & { spec?: { template?: unknown } })[]> {
  return (await scene.client.list<JobObject>(JOBS, { namespace: scene.namespace, labelSelector: `lifeboat.dev/drill-run=${run}` })).items;
}

export async function drillPods(scene: Scene, run: string): Promise<PodObject[]> {
  return (await scene.client.list<PodObject>(PODS, { namespace: scene.namespace, labelSelector: `lifeboat.dev/drill-run=${run}` })).items;
}

/** The run's Job of `step` for `source`, once its pod runs. */
export function runningStepJob(scene: Scene, run: string, step: string, source: string, timeoutMs = 120_000): Promise<JobObject> {
  return waitFor(
    async () => {
      const job = (await drillJobs(scene, run)).find((candidate) => candidate.metadata.labels?.['lifeboat.dev/step'] === step && candidate.metadata.labels['lifeboat.dev/source'] === source);
      if (!job || job.status?.active !== 1) return undefined;
      const pods = (await drillPods(scene, run)).filter((pod) => pod.metadata.labels?.['job-name'] === job.metadata.name);
      return pods.some((pod) => pod.status?.phase === 'Running') ? job : undefined;
    },
    { what: `the ${step} Job of ${run} for ${source} to run`, timeoutMs, intervalMs: 200 },
  );
}
