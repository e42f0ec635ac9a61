// A backup taken from a hot standby, as teams do to keep load off the primary: the snapshot
// is exported on the replica, the manifest says so (inRecovery) and records the replay LSN
// (pg_current_wal_lsn() cannot run during recovery), and the backup restores into the
// primary with every row, including rows that reached the standby by streaming replication.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { rmSync } from 'node:fs';
import pg from 'pg';
import type { ManagedProcess } from '../../env/managed-process.ts';
import { startStandby } from '../../env/postgres.ts';
import { fingerprint } from './postgres-compare.ts';
import {
  connectionTo,
  createDatabase,
  databaseName,
  dropDatabase,
  env,
  getObject,
  makeBucket,
  runRunner,
  storageFor,
  withDatabase,
} from './runner-harness.ts';

jest.setTimeout(180_000);

const source = databaseName('lb_standby_src');
const target = databaseName('lb_standby_dst');
const location = { namespace: 'shop', schedule: 'replica', run: 'from-standby', source: 'orders' };
let standby: Awaited<ReturnType<typeof startStandby>>;
/** Set as soon as the standby is spawned: stopped even if start-up times out. */
let standbyProcess: ManagedProcess | undefined;
/** After afterAll, a standby that was still being set up is stopped as soon as it spawns. */
let finished = false;
let bucket: string;
let primaryLsn: string;

/** An LSN such as 0/3000148 as a number, to compare positions. */
function lsnValue(lsn: string): bigint {
  const [high, low] = lsn.split('/') as [string, string];
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}

async function onStandby<T>(database: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ host: standby.host, port: standby.port, user: env().postgres.user, database });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function standbyReplayed(lsn: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const replayed = await onStandby('postgres', async (c) => (await c.query('SELECT pg_last_wal_replay_lsn()::text AS lsn')).rows[0].lsn as string);
    if (lsnValue(replayed) >= lsnValue(lsn)) return;
    if (Date.now() > deadline) throw new Error(`the standby replayed only up to ${replayed}, not ${lsn}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  bucket = await makeBucket('lb-standby');
  await createDatabase(source);
  await withDatabase(source, (c) => c.query(`CREATE TABLE orders (id int PRIMARY KEY, note text); INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 5000) g`));
  standby = await startStandby(env().postgres, env().workDir, (server) => {
    standbyProcess = server;
    if (finished) void server.stop();
  });
  // Rows written after the base backup reach the standby only by streaming replication.
  primaryLsn = await withDatabase(source, async (c) => {
    await c.query(`INSERT INTO orders SELECT g, 'streamed ' || g FROM generate_series(5001, 6000) g`);
    return (await c.query('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn as string;
  });
  await standbyReplayed(primaryLsn);
});

afterAll(async () => {
  finished = true;
  await standbyProcess?.stop();
  if (standby) rmSync(standby.dir, { recursive: true, force: true });
  for (const database of [source, target]) await dropDatabase(database);
});

describe('a PostgreSQL backup from a hot standby', () => {
  it('records that it came from a replica, with the replay LSN, and restores every row', async () => {
    const backup = await runRunner('postgres-backup', {
      storage: storageFor(bucket),
      location,
      postgres: { host: standby.host, port: standby.port, database: source, sslMode: 'disable' },
    });
    expect(backup.result).toMatchObject({ ok: true });
    const manifest = JSON.parse((await getObject(bucket, `backups/shop/replica/from-standby/orders/manifest.json`)).toString());
    expect(manifest.postgres).toMatchObject({ inRecovery: true, port: standby.port, lsn: expect.stringMatching(/^[0-9A-F]+\/[0-9A-F]+$/) });
    expect(lsnValue(manifest.postgres.lsn)).toBeGreaterThanOrEqual(lsnValue(primaryLsn));
    expect(manifest.postgres.rowCounts.tables).toContainEqual(expect.objectContaining({ table: 'orders', rows: 6000 }));

    const restore = await runRunner('postgres-restore', { storage: storageFor(bucket), artifact: location, target: connectionTo(target), createDatabase: true });
    expect(restore.result).toMatchObject({ ok: true });
    expect(await withDatabase(target, async (c) => (await c.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE note LIKE 'streamed %')::int AS streamed FROM orders`)).rows[0])).toEqual({ n: 6000, streamed: 1000 });
    expect((await fingerprint(target)).tables).toEqual((await fingerprint(source)).tables);
  });
});
