// The drill's helpers: scratch targets that are created empty and dropped afterwards, the
// run manifest that marks a run complete, and the checks run against a restored copy.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { scratchBucketName, scratchDatabaseName } from '../../../src/contract/tasks.ts';
import { bucketExists, bucketTags, createBucket } from '../../../src/s3/bucket.ts';
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
/** The drill run id in this file's scratch names. */
const runId = randomBytes(5).toString('hex');
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
  const name = scratchDatabaseName(runId, 0);
  const claim = 'e5f1c7d2-3a4b-4c5d-8e9f-0a1b2c3d4e5f';
  const task = (extra: Record<string, unknown> = {}) => ({ kind: 'database', postgres: connectionTo('postgres'), name, ...extra });

  afterAll(() => dropDatabase(name));

  it('is created new and empty, and never taken again: an existing name fails for good', async () => {
    expect((await runRunner('scratch-create', task({ claim }))).result).toMatchObject({ ok: true, summary: { kind: 'database', name, created: true } });
    expect(await databaseExists(name)).toBe(true);
    const failure = failureOf(await runRunner('scratch-create', task()));
    expect(failure).toMatchObject({ code: 'TargetExists', reason: `scratch database ${name} already exists; a drill never reuses one` });
    expect(failureOf(await runRunner('scratch-create', task({ claim: 'someone-else' }))).code).toBe('TargetExists');
  });

  it('is taken back, empty, by a retry of the task that created it (same claim)', async () => {
    expect((await runRunner('scratch-create', task({ claim }))).result).toMatchObject({ ok: true, summary: { created: true, reclaimed: true } });
  });

  it('is refused even to its claim once it holds anything', async () => {
    const other = scratchDatabaseName(runId, 1);
    databases.push(other);
    expect((await runRunner('scratch-create', { ...task({ claim }), name: other })).result).toMatchObject({ ok: true });
    await withDatabase(other, (c) => c.query('CREATE TABLE t (x int)'));
    const failure = failureOf(await runRunner('scratch-create', { ...task({ claim }), name: other }));
    expect(failure).toMatchObject({ code: 'TargetExists', reason: `scratch database ${other} already exists and is not empty (1 relations); a drill never reuses one` });
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
        rowCounts: { tables: 3, mismatched: 0, mismatches: [] },
        checks: [
          { name: 'diagrams-present', type: 'Sql', ok: true, expected: 'between 300 and 300', actual: '"300"' },
          { name: 'titles', type: 'Sql', ok: true, expected: '"diagram 7"', actual: '"diagram 7"' },
          { name: 'count-as-text', type: 'Sql', ok: true },
          { name: 'boolean-as-text', type: 'Sql', ok: true },
          { name: 'exact-rows', type: 'Sql', ok: true, expected: '2 rows', actual: '2 rows', message: '2 rows, value "1"' },
          {
            name: 'row-counts',
            type: 'RowCount',
            ok: true,
            expected: "3 tables as in the backup's snapshot",
            actual: '3 match, 0 differ',
            message: "3 tables match the backup's snapshot",
          },
          { name: 'freshness', type: 'Freshness', ok: true, expected: 'a timestamp', actual: '2025-06-01T17:00:00.000Z' },
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
      '7 of 7 checks failed: too-many (got "300", expected at most 10); not-equal (got "300", expected "301"); wrong-rows (got 1 row, expected 2 rows); broken-sql (query failed: column "nope" does not exist); read-only (query failed: cannot execute DELETE in a read-only transaction); public.events_high (301 rows, the backup\'s snapshot counted 401); row-counts (1 of 3 tables differ from the backup\'s snapshot)',
    );
    expect(check.result.details).toMatchObject({
      passed: false,
      rowCounts: { tables: 3, mismatched: 1, mismatches: [{ table: 'public.events_high', expected: 401, actual: 301 }] },
      checks: [
        { name: 'too-many', type: 'Sql', ok: false, expected: 'at most 10', actual: '"300"' },
        { name: 'not-equal', type: 'Sql', ok: false, expected: '"301"', actual: '"300"' },
        { name: 'wrong-rows', type: 'Sql', ok: false, expected: '2 rows', actual: '1 row' },
        { name: 'broken-sql', type: 'Sql', ok: false, expected: 'any result', actual: 'query failed' },
        { name: 'read-only', type: 'Sql', ok: false, actual: 'query failed' },
        { name: 'public.events_high', type: 'RowCount', ok: false, expected: '401 rows', actual: '301 rows' },
        { name: 'row-counts', type: 'RowCount', ok: false, expected: "3 tables as in the backup's snapshot", actual: '2 match, 1 differ' },
      ],
    });
    expect(await withDatabase(name, async (c) => (await c.query('SELECT count(*)::int AS n FROM diagrams')).rows[0])).toEqual({ n: 300 });
  });

  it('refuses to take a name without the scratch prefix', async () => {
    const failure = failureOf(await runRunner('scratch-drop', { kind: 'database', postgres: connectionTo('postgres'), name: source }));
    expect(failure.code).toBe('InvalidTask');
    expect(await databaseExists(source)).toBe(true);
  });

  it('with requireClaim is dropped only when it carries the claim (after a stopped Provision)', async () => {
    const other = scratchDatabaseName(runId, 7);
    await createDatabase(other);
    try {
      expect((await runRunner('scratch-drop', { ...task({ claim, requireClaim: true }), name: other })).result).toMatchObject({ ok: true, summary: { dropped: false, unclaimed: true } });
      expect(await databaseExists(other)).toBe(true);
      await dropDatabase(other);
      expect((await runRunner('scratch-create', { ...task({ claim }), name: other })).result).toMatchObject({ ok: true });
      expect((await runRunner('scratch-drop', { ...task({ claim, requireClaim: true }), name: other })).result).toMatchObject({ ok: true, summary: { dropped: true } });
      expect(await databaseExists(other)).toBe(false);
    } finally {
      await dropDatabase(other);
    }
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
  const name = scratchBucketName(runId, 0);
  const claim = 'e5f1c7d2-3a4b-4c5d-8e9f-0a1b2c3d4e5f';
  const task = (extra: Record<string, unknown> = {}) => ({ kind: 'bucket', s3: { endpoint: env().s3.endpoint }, name, ...extra });

  it('is created new, tagged with its claim, taken back empty by its claim only, and dropped with its objects', async () => {
    expect((await runRunner('scratch-create', task({ claim }))).result).toMatchObject({ ok: true, summary: { kind: 'bucket', name, created: true } });
    expect(await bucketTags(s3(), name)).toEqual({ 'lifeboat.dev/scratch-claim': claim });
    expect(failureOf(await runRunner('scratch-create', task()))).toMatchObject({ code: 'TargetExists', reason: `scratch bucket ${name} already exists; a drill never reuses one` });
    expect((await runRunner('scratch-create', task({ claim }))).result).toMatchObject({ ok: true, summary: { created: true, reclaimed: true } });
    await s3().send(new PutObjectCommand({ Bucket: name, Key: 'a/b', Body: 'x' }));
    const failure = failureOf(await runRunner('scratch-create', task({ claim })));
    expect(failure).toMatchObject({ code: 'TargetExists', reason: `scratch bucket ${name} already exists and is not empty; a drill never reuses one` });
    expect((await runRunner('scratch-drop', task())).result).toMatchObject({ ok: true, summary: { dropped: true } });
    expect(await bucketExists(s3(), name)).toBe(false);
    expect((await runRunner('scratch-drop', task())).result).toMatchObject({ ok: true, summary: { dropped: false } });
  });

  it('that someone else made (no claim) fails the drill, empty or not', async () => {
    const other = scratchBucketName(runId, 1);
    await createBucket(s3(), other);
    expect(failureOf(await runRunner('scratch-create', { ...task({ claim }), name: other }))).toMatchObject({ code: 'TargetExists' });
    expect((await runRunner('scratch-drop', { ...task(), name: other })).result).toMatchObject({ ok: true, summary: { dropped: true } });
  });

  it('with requireClaim is dropped only when it carries the claim (after a stopped Provision)', async () => {
    const other = scratchBucketName(runId, 2);
    await createBucket(s3(), other);
    expect((await runRunner('scratch-drop', { ...task({ claim, requireClaim: true }), name: other })).result).toMatchObject({ ok: true, summary: { dropped: false, unclaimed: true } });
    expect(await bucketExists(s3(), other)).toBe(true);
    await runRunner('scratch-drop', { ...task(), name: other });
    expect((await runRunner('scratch-create', { ...task({ claim }), name: other })).result).toMatchObject({ ok: true });
    expect((await runRunner('scratch-drop', { ...task({ claim, requireClaim: true }), name: other })).result).toMatchObject({ ok: true, summary: { dropped: true } });
    expect(await bucketExists(s3(), other)).toBe(false);
    expect((await runRunner('scratch-drop', { ...task({ claim, requireClaim: true }), name: other })).result).toMatchObject({ ok: true, summary: { dropped: false } });
  });
});
