// A database with the awkward parts goes through postgres-backup and postgres-restore in
// every format, compressed or not, encrypted or not, streamed or via a local file with
// parallel jobs, and comes back identical.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { generateAgeIdentity, ageRecipientFromIdentity } from '../../../src/crypto/age-stream.ts';
import { fingerprint, loadAwkwardSchema, type DatabaseFingerprint } from './postgres-compare.ts';
import {
  connectionTo,
  createDatabase,
  databaseName,
  dropDatabase,
  getObject,
  listKeys,
  makeBucket,
  runRunner,
  storageFor,
  withDatabase,
} from './runner-harness.ts';

jest.setTimeout(180_000);

let source: string;
let bucket: string;
let original: DatabaseFingerprint;
let identity: string;
let recipient: string;
const created: string[] = [];

beforeAll(async () => {
  source = databaseName('lb_awkward');
  await createDatabase(source);
  created.push(source);
  await loadAwkwardSchema(source);
  bucket = await makeBucket();
  original = await fingerprint(source);
  identity = await generateAgeIdentity();
  recipient = await ageRecipientFromIdentity(identity);
});

afterAll(async () => {
  for (const database of created) await dropDatabase(database);
});

const location = (run: string) => ({ namespace: 'shop', schedule: 'nightly', run, source: 'orders' });

describe('the awkward schema', () => {
  it('has what the round trip is meant to exercise', () => {
    expect(original.tables['"données"."élève"']?.rows).toBe(2000);
    expect(original.tables['"public"."mesures_2024"']?.rows).toBeGreaterThan(0);
    expect(original.tables['"public"."mesures_autres"']?.rows).toBeGreaterThan(0);
    expect(original.tables['"public"."vide"']).toEqual({ rows: -1, md5: 'unpopulated' });
    expect(original.sequences['public.facture_seq']).toBe('424242');
    expect(Object.keys(original.largeObjects)).toEqual(['424242', '424243']);
    expect(original.schema).toContain('CREATE EXTENSION IF NOT EXISTS pgcrypto');
  });
});

// zstd runs as its own process between pg_dump/pg_restore and the runner when the binary is
// there (LIFEBOAT_ZSTD unset), and in-process otherwise (LIFEBOAT_ZSTD=off).
const IN_PROCESS = { LIFEBOAT_ZSTD: 'off' };

// `into`: a database the restore creates (new), an empty one that exists (existing, with
// createDatabase left at true), or one that must exist (existing-required: createDatabase false).

describe.each([
  { name: 'custom, zstd process, age, streamed into pg_restore', format: 'custom', compression: 'zstd', encrypt: true, jobs: 1, into: 'new', env: {} },
  { name: 'custom, zstd in-process, streamed into pg_restore', format: 'custom', compression: 'zstd', encrypt: false, jobs: 1, into: 'new', env: IN_PROCESS },
  { name: 'custom, zstd process, downloaded in ranges and restored with 2 jobs', format: 'custom', compression: 'zstd', encrypt: true, jobs: 2, into: 'new', env: {} },
  { name: 'custom, gzip, downloaded in ranges and restored with 3 jobs', format: 'custom', compression: 'gzip', encrypt: false, jobs: 3, into: 'existing', env: {} },
  { name: 'plain SQL, zstd, age, through psql', format: 'plain', compression: 'zstd', encrypt: true, jobs: 1, into: 'new', env: IN_PROCESS },
  { name: 'tar, uncompressed', format: 'tar', compression: 'none', encrypt: false, jobs: 1, into: 'existing-required', env: {} },
] as const)('round trip: $name', ({ format, compression, encrypt, jobs, into, env }) => {
  const run = `run-${format}-${compression}-${jobs}-${encrypt ? 'age' : 'plain'}-${Object.keys(env).length}`;
  let backup: Awaited<ReturnType<typeof runRunner>>;

  beforeAll(async () => {
    backup = await runRunner('postgres-backup', {
      storage: storageFor(bucket),
      location: location(run),
      postgres: connectionTo(source),
      format,
      compression,
      ...(encrypt ? { encryption: { recipients: [recipient] } } : {}),
      upload: { partSizeBytes: 5 * 1024 * 1024 },
    }, { env });
  });

  it('backs up with the snapshot, its row counts and a manifest', async () => {
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    const summary = backup.result.summary as Record<string, unknown>;
    expect(summary.sizeBytes).toBeGreaterThan(12 * 1024 * 1024 * (compression === 'none' ? 1 : 0.9));
    const manifest = JSON.parse((await getObject(bucket, `backups/shop/nightly/${run}/orders/manifest.json`)).toString());
    expect(manifest).toMatchObject({
      kind: 'postgres',
      artifact: { key: summary.key, sizeBytes: summary.sizeBytes, sha256: summary.sha256, compression },
      postgres: { format, database: source, encoding: 'UTF8', rowCounts: { mode: 'exact' } },
    });
    // The runner sees the uncompressed dump only when it compresses in-process.
    const external = compression === 'zstd' && Object.keys(env).length === 0;
    expect(manifest.postgres.dumpBytes === null).toBe(external);
    expect('zstd' in manifest.tools).toBe(external);
    expect(manifest.artifact.encryption).toEqual(encrypt ? { format: 'age', recipients: [recipient] } : null);
    expect(manifest.tools.pg_dump).toMatch(/^pg_dump \(PostgreSQL\) \d+/);
    const counts = Object.fromEntries(
      manifest.postgres.rowCounts.tables.map((t: { schema: string; table: string; rows: number | null }) => [`"${t.schema}"."${t.table}"`, t.rows]),
    );
    for (const [table, { rows }] of Object.entries(original.tables)) expect([table, counts[table]]).toEqual([table, rows === -1 ? null : rows]);
    expect(manifest.postgres.rowCounts.tables).toContainEqual({ schema: 'public', table: 'mesures_2025', rows: expect.any(Number), partitionOf: 'public.mesures' });
    expect(await listKeys(bucket, `backups/shop/nightly/${run}/`)).toEqual([summary.key, `backups/shop/nightly/${run}/orders/manifest.json`].sort());
  });

  it('restores a database that matches the original', async () => {
    const target = databaseName('lb_restored');
    created.push(target);
    if (into !== 'new') await createDatabase(target);
    const restore = await runRunner(
      'postgres-restore',
      {
        storage: storageFor(bucket),
        artifact: location(run),
        target: connectionTo(target),
        ...(into === 'existing-required' ? { createDatabase: false } : {}),
        parallelJobs: jobs,
        ...(encrypt ? { decryption: { identityEnv: 'RESTORE_KEY' } } : {}),
      },
      { env: { ...env, ...(encrypt ? { RESTORE_KEY: identity } : {}) } },
    );
    expect(restore.stderr).toBe('');
    expect(restore.result).toMatchObject({ ok: true, summary: { database: target, checksumVerified: true, created: into === 'new' } });
    const restoreTool = format === 'plain' ? 'psql' : 'pg_restore';
    expect(restore.result.summary?.tools).toMatchObject({ [restoreTool]: expect.stringMatching(new RegExp(`^${restoreTool} \\(PostgreSQL\\) \\d+`)) });
    const restored = await fingerprint(target);
    expect(restored.schema).toEqual(original.schema);
    expect(restored.tables).toEqual(original.tables);
    expect(restored.sequences).toEqual(original.sequences);
    expect(restored.largeObjects).toEqual(original.largeObjects);
  });
});

describe('restoring over existing data', () => {
  const run = 'run-clean';
  let target: string;

  beforeAll(async () => {
    const backup = await runRunner('postgres-backup', { storage: storageFor(bucket), location: location(run), postgres: connectionTo(source) });
    expect(backup.code).toBe(0);
    target = databaseName('lb_busy');
    created.push(target);
    await createDatabase(target);
    await withDatabase(target, (client) => client.query('CREATE TABLE keep_me (x int); INSERT INTO keep_me VALUES (1)'));
  });

  it('is refused without overwritePolicy Clean, and the data stays', async () => {
    const restore = await runRunner('postgres-restore', { storage: storageFor(bucket), artifact: location(run), target: connectionTo(target) });
    expect(restore.code).toBe(3); // permanent: a retry would be refused the same way
    expect(restore.result.code).toBe('TargetNotEmpty');
    expect(restore.result.reason).toMatch(/is not empty \(1 relations\); set overwritePolicy to Clean to restore over it/);
    expect(await withDatabase(target, async (c) => (await c.query('SELECT x FROM keep_me')).rows)).toEqual([{ x: 1 }]);
  });

  it('replaces what the backup holds with overwritePolicy Clean', async () => {
    const restore = await runRunner('postgres-restore', {
      storage: storageFor(bucket),
      artifact: location(run),
      target: connectionTo(target),
      overwritePolicy: 'Clean',
      parallelJobs: 2,
    });
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    const restored = await fingerprint(target);
    expect(restored.tables).toEqual({ ...original.tables, '"public"."keep_me"': expect.anything() });
  });
});
