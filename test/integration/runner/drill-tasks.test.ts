// The drill's helpers: scratch targets that are created empty and dropped afterwards, the
// run manifest that marks a run complete, and the checks run against a restored copy.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import pg from 'pg';
import { bucketExists } from '../../../src/s3/bucket.ts';
import {
  connectionTo,
  createDatabase,
  databaseExists,
  databaseName,
  dropDatabase,
  env,
  failureOf,
  getObject,
  listKeys,
  makeBucket,
  runRunner,
  s3,
  storageFor,
  withDatabase,
} from './runner-harness.ts';

jest.setTimeout(120_000);

let source: string;
let bucket: string;
const databases: string[] = [];
const run = { namespace: 'shop', schedule: 'nightly', run: 'nightly-1' };

beforeAll(async () => {
  source = databaseName('lb_drill_src');
  databases.push(source);
  await createDatabase(source);
  await withDatabase(source, (c) =>
    c.query(`CREATE TABLE diagrams (id int PRIMARY KEY, title text, updated_at timestamptz NOT NULL);
      INSERT INTO diagrams SELECT g, 'diagram ' || g, timestamptz '2025-06-01 12:00:00+00' + g * interval '1 minute' FROM generate_series(1, 300) g;
      CREATE TABLE events (id int) PARTITION BY RANGE (id);
      CREATE TABLE events_low PARTITION OF events FOR VALUES FROM (0) TO (100);
      CREATE TABLE events_high PARTITION OF events FOR VALUES FROM (100) TO (1000);
      INSERT INTO events SELECT generate_series(1, 500);`),
  );
  bucket = await makeBucket();
  for (const name of ['orders', 'archive']) {
    const backup = await runRunner('postgres-backup', { storage: storageFor(bucket), location: { ...run, source: name }, postgres: connectionTo(source) });
    expect(backup.code).toBe(0);
  }
});

afterAll(async () => {
  for (const database of databases) await dropDatabase(database);
});

describe('finalize-run', () => {
  it('refuses while a source has no manifest', async () => {
    const failure = failureOf(await runRunner('finalize-run', { storage: storageFor(bucket), location: run, sources: ['orders', 'missing'] }));
    expect(failure).toMatchObject({ code: 'ManifestMissing', reason: 'source missing has no manifest: the run is incomplete' });
    expect(await listKeys(bucket, 'backups/shop/nightly/nightly-1/manifest.json')).toEqual([]);
  });

  it('writes the run manifest last, and verify then checks every source', async () => {
    const done = await runRunner('finalize-run', { storage: storageFor(bucket), location: run, sources: ['orders', 'archive'] });
    expect(done.result).toMatchObject({ ok: true, summary: { manifestKey: 'backups/shop/nightly/nightly-1/manifest.json', sources: 2 } });
    const manifest = JSON.parse((await getObject(bucket, 'backups/shop/nightly/nightly-1/manifest.json')).toString());
    expect(manifest.sources.map((s: { name: string }) => s.name)).toEqual(['orders', 'archive']);
    const verify = await runRunner('verify', { storage: storageFor(bucket), location: run });
    expect(verify.result).toMatchObject({ ok: true, summary: { verified: [{ source: 'orders' }, { source: 'archive' }] } });
  });
});

describe('a scratch database', () => {
  const name = `lifeboat_scratch_${Date.now()}`;
  const task = () => ({ kind: 'database', postgres: connectionTo('postgres'), name });

  afterAll(() => dropDatabase(name));

  it('is created empty, and creating it again is harmless', async () => {
    expect((await runRunner('scratch-create', task())).result).toMatchObject({ ok: true, summary: { created: true } });
    expect((await runRunner('scratch-create', task())).result).toMatchObject({ ok: true, summary: { created: false } });
    expect(await databaseExists(name)).toBe(true);
  });

  it('takes a restore, and the drill checks pass against it', async () => {
    const restore = await runRunner('postgres-restore', {
      storage: storageFor(bucket),
      artifact: { ...run, source: 'orders' },
      target: connectionTo(name),
    });
    expect(restore.code).toBe(0);
    const check = await runRunner('drill-check', {
      postgres: connectionTo(name),
      checks: [
        { name: 'diagrams-present', query: 'SELECT count(*) FROM diagrams', expect: { atLeast: 300, atMost: 300 } },
        { name: 'titles', query: 'SELECT title FROM diagrams WHERE id = 7', expect: { equals: 'diagram 7' } },
        // equals compares text, as PostgreSQL writes it: a count is "300", true is "t".
        { name: 'count-as-text', query: 'SELECT count(*) FROM diagrams', expect: { equals: '300' } },
        { name: 'boolean-as-text', query: 'SELECT true', expect: { equals: 't' } },
        { name: 'exact-rows', query: 'SELECT id FROM diagrams WHERE id <= 2', expect: { rows: 2 } },
      ],
      rowCounts: { storage: storageFor(bucket), artifact: { ...run, source: 'orders' } },
      freshness: { query: 'SELECT max(updated_at) FROM diagrams' },
    });
    expect(check.stderr).toBe('');
    expect(check.result).toMatchObject({
      ok: true,
      summary: {
        passed: true,
        freshness: '2025-06-01T17:00:00.000Z',
        rowCounts: { tables: 3, mismatches: [] },
        checks: [
          { name: 'diagrams-present', ok: true },
          { name: 'titles', ok: true },
          { name: 'count-as-text', ok: true },
          { name: 'boolean-as-text', ok: true },
          { name: 'exact-rows', ok: true, message: '2 rows, value "1"' },
          { name: 'row-counts', ok: true, message: "3 tables match the backup's snapshot" },
          { name: 'freshness', ok: true },
        ],
      },
    });
  });

  it('fails the checks that do not hold, saying which and why', async () => {
    await withDatabase(name, (c) => c.query('DELETE FROM events WHERE id > 400'));
    const check = await runRunner('drill-check', {
      postgres: connectionTo(name),
      checks: [
        { name: 'too-many', query: 'SELECT count(*) FROM diagrams', expect: { atMost: 10 } },
        { name: 'not-equal', query: 'SELECT count(*) FROM diagrams', expect: { equals: '301' } },
        { name: 'wrong-rows', query: 'SELECT 1', expect: { rows: 2 } },
        { name: 'broken-sql', query: 'SELECT nope FROM diagrams' },
        { name: 'read-only', query: 'DELETE FROM diagrams RETURNING 1' },
      ],
      rowCounts: { storage: storageFor(bucket), artifact: { ...run, source: 'orders' } },
    });
    const failure = failureOf(check);
    expect(failure.code).toBe('CheckFailed');
    expect(failure.reason).toBe(
      '6 of 6 checks failed: too-many (got "300", expected at most 10); not-equal (got "300", expected "301"); wrong-rows (got 1 row, expected 2 rows); broken-sql (query failed: column "nope" does not exist); read-only (query failed: cannot execute DELETE in a read-only transaction); row-counts (1 of 3 tables differ from the backup\'s snapshot)',
    );
    expect(check.result.details).toMatchObject({ passed: false, rowCounts: { mismatches: [{ table: 'public.events_high', expected: 401, actual: 301 }] } });
    expect(await withDatabase(name, async (c) => (await c.query('SELECT count(*)::int AS n FROM diagrams')).rows[0])).toEqual({ n: 300 });
  });

  it('refuses to take a name without the scratch prefix', async () => {
    const failure = failureOf(await runRunner('scratch-drop', { kind: 'database', postgres: connectionTo('postgres'), name: source }));
    expect(failure.code).toBe('InvalidTask');
    expect(await databaseExists(source)).toBe(true);
  });

  it('is dropped, even with a connection open, and dropping again is harmless', async () => {
    const info = env();
    const open = new pg.Client({ host: info.postgres.host, port: info.postgres.port, user: info.postgres.user, database: name });
    open.on('error', () => undefined); // it is the connection DROP ... WITH (FORCE) terminates
    await open.connect();
    expect((await runRunner('scratch-drop', task())).result).toMatchObject({ ok: true, summary: { dropped: true } });
    await open.end().catch(() => undefined);
    expect(await databaseExists(name)).toBe(false);
    expect((await runRunner('scratch-drop', task())).result).toMatchObject({ ok: true, summary: { dropped: false } });
  });
});

describe('a scratch bucket', () => {
  const name = `lifeboat-scratch-${Date.now()}`;
  const task = () => ({ kind: 'bucket', s3: { endpoint: env().s3.endpoint }, name });

  it('is created empty, refused once it holds data, and dropped with its objects', async () => {
    expect((await runRunner('scratch-create', task())).result).toMatchObject({ ok: true, summary: { created: true } });
    expect((await runRunner('scratch-create', task())).result).toMatchObject({ ok: true, summary: { created: false } });
    await s3().send(new PutObjectCommand({ Bucket: name, Key: 'a/b', Body: 'x' }));
    const failure = failureOf(await runRunner('scratch-create', task()));
    expect(failure).toMatchObject({ code: 'TargetNotEmpty', reason: `scratch bucket ${name} already exists and is not empty` });
    expect((await runRunner('scratch-drop', task())).result).toMatchObject({ ok: true, summary: { dropped: true } });
    expect(await bucketExists(s3(), name)).toBe(false);
  });
});
