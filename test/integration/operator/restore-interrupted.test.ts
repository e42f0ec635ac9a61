// A restore that is interrupted: the operator dies (SIGKILL) while the restore Job runs, and a
// new operator finishes the same restore with the same Job; a RestoreRequest deleted while its
// Job runs stops the Job before it goes, and says what state the target was left in. Both need
// a restore that runs for a while: the database holds a table of two million rows with three
// indexes on text, which pg_restore rebuilds (a dump holds only their definitions).
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { once } from 'node:events';
import { RESTORE_REQUESTS } from '../../../src/controllers/resource-types.ts';
import { RESTORE_FINALIZER } from '../../../src/core/metadata.ts';
import { EVENTS, JOBS, PODS } from '../../../src/kube/resource-type.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import { testEnv } from '../../support/env.ts';
import { withDatabase } from '../../support/backup-fixture.ts';
import { schemaDump } from '../runner/postgres-compare.ts';
import { createRestore, databaseTarget, finalRestore, getRestore, restoreManifest } from './restore-support.ts';
import { Scene, waitFor, type JobObject } from './support.ts';

jest.setTimeout(420_000);

const ROWS = 2_000_000;

interface EventObject extends KubeObject {
  type?: string;
  reason?: string;
  note?: string;
  regarding?: { name?: string; kind?: string };
}

interface PodObject extends KubeObject {
  status?: { phase?: string };
}

type FinishedJob = JobObject & { status?: { completionTime?: string } };

async function addLargeTable(database: string): Promise<void> {
  await withDatabase(testEnv(), database, async (client) => {
    await client.query(`
      CREATE TABLE documents (id bigint PRIMARY KEY, title text NOT NULL, body text NOT NULL, tag text NOT NULL);
      INSERT INTO documents SELECT n, 'document ' || n, repeat(md5(n::text), 3), md5((n * 7)::text) FROM generate_series(1, ${ROWS}) AS n;
      CREATE INDEX documents_title ON documents (title);
      CREATE INDEX documents_body ON documents (body);
      CREATE INDEX documents_tag ON documents (tag);
    `);
  });
}

/** What "the restored database matches" means here: the same schema, and per table the same row count and an order-free checksum of the rows. */
async function contents(database: string): Promise<{ schema: string; tables: Record<string, string> }> {
  const schema = await schemaDump(database);
  const tables = await withDatabase(testEnv(), database, async (client) => {
    const { rows } = await client.query<{ name: string }>(`SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
    const found: Record<string, string> = {};
    for (const { name } of rows) {
      const result = await client.query<{ n: string; sum: string }>(`SELECT count(*) AS n, coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint), 0)::text AS sum FROM ${name} t`);
      found[name] = `${result.rows[0]?.n} rows, ${result.rows[0]?.sum}`;
    }
    return found;
  });
  return { schema, tables };
}

async function databaseExists(database: string): Promise<boolean> {
  return withDatabase(testEnv(), 'postgres', async (client) => (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount === 1);
}

const QUICK_LEASE = { LIFEBOAT_LEASE_DURATION_SECONDS: '4', LIFEBOAT_RENEW_DEADLINE_SECONDS: '3', LIFEBOAT_RETRY_PERIOD_SECONDS: '1' };

describe('a restore that is interrupted', () => {
  let scene: Scene;
  let original: { schema: string; tables: Record<string, string> };

  const jobsOf = async (restore: string) =>
    (await scene.client.list<FinishedJob>(JOBS, { namespace: scene.namespace, labelSelector: `lifeboat.dev/restore-request=${restore}` })).items;
  const podsOf = async (restore: string) =>
    (await scene.client.list<PodObject>(PODS, { namespace: scene.namespace, labelSelector: `lifeboat.dev/restore-request=${restore}` })).items;
  /** The restore's one Job once its pod runs. */
  const runningJob = (restore: string) =>
    waitFor(async () => {
      const [job] = await jobsOf(restore);
      const pods = await podsOf(restore);
      return job && job.status?.active === 1 && pods.some((pod) => pod.status?.phase === 'Running') ? job : undefined;
    }, { what: `the Job of ${restore} to run`, timeoutMs: 60_000, intervalMs: 200 });

  beforeAll(async () => {
    scene = await Scene.create('op-restore-stop');
    await addLargeTable(scene.fixture.database);
    original = await contents(scene.fixture.database);
    await scene.applySchedule({ name: 'app', schedule: '0 0 1 1 *', sources: ['app-db'] });
    await scene.startOperator();
    await scene.createManualRun('large', 'app');
    expect((await scene.finalRun('large', 240_000)).status?.phase).toBe('Succeeded');
    await scene.stopOperators();
  });

  afterAll(() => scene?.tearDown());

  it('finishes a restore after the operator was killed while its Job ran, with the same Job and one pod', async () => {
    const { client, namespace } = scene;
    const database = `${scene.fixture.database}_killed`;
    // A short lease, so that the successor takes over while the restore still runs.
    const child = scene.spawnOperator({ leaseName: 'restore-killed', env: QUICK_LEASE });
    await createRestore(client, restoreManifest(namespace, 'killed', { backupRunRef: { name: 'large' } }, [databaseTarget('app-db', database)]));
    const before = await runningJob('killed');
    child.kill('SIGKILL');
    await once(child, 'exit');

    // The restore was under way when the operator died, and still is.
    const orphaned = await client.find<JobObject>(JOBS, namespace, 'killed-app-db');
    expect(orphaned?.status?.active).toBe(1);
    expect(orphaned?.status?.succeeded ?? 0).toBe(0);
    expect((await getRestore(client, namespace, 'killed'))?.status?.targets?.[0]?.phase).toMatch(/^(Pending|Running)$/);

    const successor = await scene.startOperator({ leaseName: 'restore-killed', identity: 'successor', env: QUICK_LEASE });
    await waitFor(() => successor.isActing(), { what: 'the successor to take the lease', timeoutMs: 30_000, intervalMs: 100 });
    const tookOver = Date.now();
    const restore = await finalRestore(client, namespace, 'killed', 240_000);
    expect(restore.status?.phase).toBe('Succeeded');
    expect(restore.status?.targets).toEqual([expect.objectContaining({ source: 'app-db', phase: 'Succeeded', jobName: 'killed-app-db', createdTarget: true })]);

    // The operator takes the Job's succeeded pod as its success; the Job controller, which
    // batches pod updates, says so up to a second later.
    const jobs = await waitFor(async () => {
      const found = await jobsOf('killed');
      return found[0]?.status?.completionTime ? found : undefined;
    }, { what: 'the Job killed-app-db to complete', timeoutMs: 30_000, intervalMs: 200 });
    expect(jobs.map((job) => [job.metadata.name, job.metadata.uid])).toEqual([['killed-app-db', before.metadata.uid]]);
    expect(jobs[0]?.status?.succeeded).toBe(1);
    expect(jobs[0]?.status?.failed ?? 0).toBe(0);
    // The Job finished after the successor took over (completionTime is cut to the second), so
    // it was the successor that found the running Job and followed it to the end.
    expect(Date.parse(jobs[0]?.status?.completionTime ?? '')).toBeGreaterThanOrEqual(tookOver);
    expect(await podsOf('killed')).toHaveLength(1);
    expect((await scene.eventReasons('killed', ['JobCreated'])).filter((reason) => reason === 'JobCreated')).toHaveLength(1);

    expect(await contents(database)).toEqual(original);
    await scene.stopOperators();
  });

  it('stops the Job of a RestoreRequest deleted while it runs, says what the target was left as, then lets the request go', async () => {
    const { client, namespace } = scene;
    const database = `${scene.fixture.database}_stopped`;
    await scene.startOperator({ leaseName: 'restore-stopped' });
    await createRestore(client, restoreManifest(namespace, 'stopped', { backupRunRef: { name: 'large' } }, [databaseTarget('app-db', database)]));
    const job = await runningJob('stopped');
    // The runner has created the database and is restoring into it.
    await waitFor(() => databaseExists(database), { what: `database ${database} to be created by the restore`, timeoutMs: 60_000, intervalMs: 200 });
    const restoring = await getRestore(client, namespace, 'stopped');
    expect(restoring?.metadata.finalizers).toContain(RESTORE_FINALIZER);

    await client.delete(RESTORE_REQUESTS, namespace, 'stopped');
    await waitFor(async () => !(await getRestore(client, namespace, 'stopped')), { what: 'the RestoreRequest to be gone', timeoutMs: 90_000, intervalMs: 250 });

    // Gone only once its Job was stopped: the Job is deleted (or on its way out) and no runner runs.
    const remaining = await client.find<JobObject>(JOBS, namespace, 'stopped-app-db');
    if (remaining) {
      expect(remaining.metadata.uid).toBe(job.metadata.uid);
      expect(remaining.metadata.deletionTimestamp).toBeDefined();
    }
    for (const pod of await podsOf('stopped')) expect(pod.status?.phase).toMatch(/^(Succeeded|Failed)$/);
    await waitFor(async () => !(await client.find(JOBS, namespace, 'stopped-app-db')) && (await podsOf('stopped')).length === 0, {
      what: 'the Job and its pod to be gone',
      timeoutMs: 60_000,
    });

    const events = (await client.list<EventObject>(EVENTS, { namespace })).items.filter(
      (event) => event.regarding?.name === 'stopped' && event.reason === 'RestoreStopped',
    );
    expect(events).toHaveLength(1);
    expect(events[0]?.type).toBe('Warning');
    const env = testEnv();
    expect(events[0]?.note).toBe(
      `the RestoreRequest was deleted while Job stopped-app-db was restoring source app-db; it was stopped: database ${env.postgres.host}:${env.postgres.port}/${database} is left as it was before the restore: ` +
        'a restore with parallelJobs 1 runs in one transaction, which rolls back, and a database the restore created is dropped as the runner stops (only a runner killed before it could leaves it behind: drop it)',
    );
    // And so it is: the runner, stopped, dropped the database it had created.
    expect(await databaseExists(database)).toBe(false);
    expect(await scene.eventReasons('stopped', ['JobCreated', 'RestoreStopped', 'FinalizerReleased'])).toEqual(expect.arrayContaining(['JobCreated', 'RestoreStopped', 'FinalizerReleased']));
    expect(await scene.eventReasons('stopped')).not.toContain('RestoreSucceeded');
  });
});
