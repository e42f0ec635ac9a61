// Every way a PostgreSQL backup or restore can fail ends with exit 1 or 3 (retryable or not),
// a one-line reason and no manifest: a failed backup never looks like a good one, and a corrupt or undecryptable
// artifact never becomes a restored database.
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ageRecipientFromIdentity, generateAgeIdentity } from '../../../src/crypto/age-stream.ts';
import { waitFor } from '../../support/wait.ts';
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
  putObject,
  runRunner,
  s3,
  storageFor,
  withDatabase,
} from './runner-harness.ts';
import { startTcpProxy } from './tcp-proxy.ts';

jest.setTimeout(180_000);

let source: string;
let bucket: string;
const databases: string[] = [];
const location = (run: string) => ({ namespace: 'shop', schedule: 'nightly', run, source: 'orders' });
const runPrefix = (run: string) => `backups/shop/nightly/${run}/`;

beforeAll(async () => {
  source = databaseName('lb_fail_src');
  databases.push(source);
  await createDatabase(source);
  // ~40 MB of incompressible rows: long enough to act while the dump is in flight.
  await withDatabase(source, (client) =>
    client.query(`CREATE EXTENSION pgcrypto;
      CREATE TABLE orders (id int PRIMARY KEY, note text, payload bytea);
      INSERT INTO orders SELECT g, 'order ' || g, gen_random_bytes(1024) FROM generate_series(1, 40000) g;`),
  );
  bucket = await makeBucket();
});

afterAll(async () => {
  for (const database of databases) await dropDatabase(database);
});

async function backup(run: string, extra: Record<string, unknown> = {}, options: Parameters<typeof runRunner>[2] = {}) {
  return runRunner('postgres-backup', { storage: storageFor(bucket), location: location(run), postgres: connectionTo(source), ...extra }, options);
}

async function pendingUploads(prefix: string): Promise<number> {
  const page = await s3().send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  return page.Uploads?.length ?? 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('a flipped byte in the stored artifact', () => {
  const run = 'flipped';
  let key: string;

  beforeAll(async () => {
    const done = await backup(run);
    expect(done.code).toBe(0);
    key = String(done.result.summary?.key);
    const stored = await getObject(bucket, key);
    stored.writeUInt8(stored.readUInt8(Math.floor(stored.length / 2)) ^ 0x20, Math.floor(stored.length / 2));
    await putObject(bucket, key, stored);
  });

  it('is detected by verify', async () => {
    const failure = failureOf(await runRunner('verify', { storage: storageFor(bucket), location: location(run) }));
    expect(failure.code).toBe('ChecksumMismatch');
    expect(failure.reason).toMatch(/^artifact s3:\/\/\S+ does not match its manifest: SHA-256 \w+… \(\d+ bytes\) instead of \w+… \(\d+ bytes\); the stored object is corrupt or was modified$/);
    expect(failure.stderrLine).toBe(`lifeboat-runner verify: ${failure.reason}`);
  });

  it('fails a streamed restore into a new database, which is removed again', async () => {
    const target = databaseName('lb_fail_new');
    databases.push(target);
    const failure = failureOf(
      await runRunner('postgres-restore', { storage: storageFor(bucket), artifact: location(run), target: connectionTo(target), createDatabase: true }),
    );
    expect(failure.code).toBe('ChecksumMismatch');
    expect(await databaseExists(target)).toBe(false);
  });

  it('fails a streamed restore into an existing database, which stays, empty (one transaction)', async () => {
    const target = databaseName('lb_fail_existing');
    databases.push(target);
    await createDatabase(target);
    // createDatabase is true (the default), but the database was not the restore's to drop.
    const failure = failureOf(await runRunner('postgres-restore', { storage: storageFor(bucket), artifact: location(run), target: connectionTo(target) }));
    expect(failure.code).toBe('ChecksumMismatch');
    expect(await databaseExists(target)).toBe(true);
    const tables = await withDatabase(target, async (c) => (await c.query(`SELECT count(*)::int AS n FROM pg_class WHERE relname = 'orders'`)).rows[0]);
    expect(tables).toEqual({ n: 0 });
  });

  it('fails a parallel restore before pg_restore starts, leaving no local copy', async () => {
    const target = databaseName('lb_fail_jobs');
    databases.push(target);
    const workDir = mkdtempSync(join(tmpdir(), 'lifeboat-restore-'));
    try {
      const failure = failureOf(
        await runRunner('postgres-restore', {
          storage: storageFor(bucket),
          artifact: location(run),
          target: connectionTo(target),
          createDatabase: true,
          parallelJobs: 3,
          workDir,
        }),
      );
      expect(failure.code).toBe('ChecksumMismatch');
      expect(readdirSync(workDir)).toEqual([]);
      expect(await databaseExists(target)).toBe(false);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  });
});

describe('a target database that must exist', () => {
  it('fails at once when it does not and createDatabase is false, creating nothing', async () => {
    const run = 'must-exist';
    expect((await backup(run, { rowCounts: 'off' })).code).toBe(0);
    const target = databaseName('lb_fail_missing');
    databases.push(target);
    const restore = await runRunner('postgres-restore', { storage: storageFor(bucket), artifact: location(run), target: connectionTo(target), createDatabase: false });
    expect(restore.code).toBe(3); // permanent: nobody will create it between two attempts
    expect(failureOf(restore)).toMatchObject({
      code: 'DatabaseMissing',
      reason: `target database ${target} does not exist at ${connectionTo(target).host}:${connectionTo(target).port} and createDatabase is false; create it, or set createDatabase to true`,
    });
    expect(await databaseExists(target)).toBe(false);
  });
});

describe('a wrong age key', () => {
  it('fails the restore with a clear message', async () => {
    const run = 'wrong-key';
    const rightKey = await generateAgeIdentity();
    expect((await backup(run, { encryption: { recipients: [await ageRecipientFromIdentity(rightKey)] } })).code).toBe(0);
    const target = databaseName('lb_fail_key');
    databases.push(target);
    const failure = failureOf(
      await runRunner(
        'postgres-restore',
        { storage: storageFor(bucket), artifact: location(run), target: connectionTo(target), createDatabase: true },
        { env: { LIFEBOAT_AGE_IDENTITY: await generateAgeIdentity() } },
      ),
    );
    expect(failure.code).toBe('DecryptionFailed');
    expect(failure.reason).toMatch(/could not be decrypted: wrong age key: none of the given identities matches a recipient of this file$/);
    expect(failure.stderrLine.split('\n')).toHaveLength(1);
    expect(await databaseExists(target)).toBe(false);
  });

  it('fails without any key, before touching the target', async () => {
    const failure = failureOf(
      await runRunner('postgres-restore', { storage: storageFor(bucket), artifact: location('wrong-key'), target: connectionTo('lb_never'), createDatabase: true }),
    );
    expect(failure).toMatchObject({ code: 'DecryptionFailed', reason: 'the artifact is encrypted and the identity variable LIFEBOAT_AGE_IDENTITY is not set' });
  });
});

describe('a backup that cannot complete leaves no manifest', () => {
  it('when the database is unreachable', async () => {
    const run = 'unreachable';
    const port = await freePort();
    const failure = failureOf(
      await runRunner('postgres-backup', { storage: storageFor(bucket), location: location(run), postgres: { ...connectionTo(source), port } }),
    );
    expect(failure.code).toBe('DatabaseUnreachable');
    expect(failure.reason).toBe(`cannot reach PostgreSQL at 127.0.0.1:${port}/${source} (ECONNREFUSED) while connecting`);
    expect(await listKeys(bucket, runPrefix(run))).toEqual([]);
  });

  it('when the password is wrong (and the password appears nowhere)', async () => {
    const run = 'wrong-password';
    const role = 'lifeboat_pw_test';
    const hbaFile = await withDatabase('postgres', async (c) => String((await c.query('SHOW hba_file')).rows[0].hba_file));
    const hba = readFileSync(hbaFile);
    const password = 'the-right-one';
    const wrong = 'Wr0ng-Pa55word-xyz';
    try {
      writeFileSync(hbaFile, Buffer.concat([Buffer.from(`host all ${role} 127.0.0.1/32 scram-sha-256\n`), hba]));
      await withDatabase('postgres', async (c) => {
        await c.query(`DROP ROLE IF EXISTS ${role}`);
        await c.query(`CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD '${password}'`);
        await c.query('SELECT pg_reload_conf()');
      });
      const done = await waitFor(
        async () => {
          const attempt = await runRunner(
            'postgres-backup',
            { storage: storageFor(bucket), location: location(run), postgres: connectionTo(source) },
            { env: { PGUSER: role, PGPASSWORD: wrong } },
          );
          return attempt.result.code === 'AuthenticationFailed' ? attempt : undefined;
        },
        { what: 'the new pg_hba.conf to take effect', timeoutMs: 30_000 },
      );
      const failure = failureOf(done);
      expect(failure.reason).toMatch(/^PostgreSQL at 127\.0\.0\.1:\d+\/\S+ rejected the credentials while connecting: password authentication failed for user "lifeboat_pw_test"$/);
      expect(done.stdout + done.stderr + JSON.stringify(done.result)).not.toContain(wrong);
      expect(await listKeys(bucket, runPrefix(run))).toEqual([]);
    } finally {
      writeFileSync(hbaFile, hba);
      await withDatabase('postgres', async (c) => {
        await c.query('SELECT pg_reload_conf()');
        await c.query(`DROP ROLE IF EXISTS ${role}`);
      });
    }
  });

  it('when the bucket does not exist', async () => {
    const failure = failureOf(
      await runRunner('postgres-backup', { storage: storageFor('lb-no-such-bucket'), location: location('x'), postgres: connectionTo(source) }),
    );
    expect(failure).toMatchObject({ code: 'BucketMissing', reason: `bucket lb-no-such-bucket does not exist at ${env().s3.endpoint}` });
  });

  it('when S3 goes away in the middle of the upload', async () => {
    const run = 's3-outage';
    const proxy = await startTcpProxy(env().s3.endpoint, { cutAfterBytesUp: 8 * 1024 * 1024 });
    try {
      const failure = failureOf(
        await runRunner('postgres-backup', {
          storage: { ...storageFor(bucket), endpoint: proxy.endpoint },
          location: location(run),
          postgres: connectionTo(source),
          upload: { partSizeBytes: 5 * 1024 * 1024 },
        }),
      );
      expect(failure.code).toBe('StorageUnavailable');
      expect(failure.reason).toMatch(new RegExp(`^S3 unreachable while uploading s3://${bucket}/${runPrefix(run)}orders/database\\.dump\\.zst at ${proxy.endpoint} \\(ECONN\\w+\\)$`));
    } finally {
      await proxy.close();
    }
    expect(await listKeys(bucket, runPrefix(run))).toEqual([]);
  });

  it('when pg_dump dies mid-stream (and the multipart upload is aborted)', async () => {
    const run = 'dump-dies';
    const proxy = await startTcpProxy(env().s3.endpoint, { bytesPerSecondPerConnection: 2 * 1024 * 1024 });
    try {
      const running = runRunner('postgres-backup', {
        storage: { ...storageFor(bucket), endpoint: proxy.endpoint },
        location: location(run),
        postgres: connectionTo(source),
        compression: 'none',
        upload: { partSizeBytes: 5 * 1024 * 1024, queueSize: 2 },
      });
      await proxy.waitForBytesUp(1024 * 1024);
      await withDatabase('postgres', (c) =>
        c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'COPY %'`, [source]),
      );
      const failure = failureOf(await running);
      expect(failure.code).toBe('ToolFailed');
      expect(failure.reason).toMatch(/^pg_dump exited with status 1: pg_dump: error: .*/);
    } finally {
      await proxy.close();
    }
    expect(await listKeys(bucket, runPrefix(run))).toEqual([]);
    expect(await pendingUploads(runPrefix(run))).toBe(0);
  });

  it('when the runner is told to stop (and the multipart upload is aborted)', async () => {
    const run = 'sigterm';
    const proxy = await startTcpProxy(env().s3.endpoint, { bytesPerSecondPerConnection: 2 * 1024 * 1024 });
    let pid = 0;
    try {
      const running = runRunner(
        'postgres-backup',
        {
          storage: { ...storageFor(bucket), endpoint: proxy.endpoint },
          location: location(run),
          postgres: connectionTo(source),
          compression: 'none',
          upload: { partSizeBytes: 5 * 1024 * 1024, queueSize: 2 },
        },
        { onSpawn: (spawned) => (pid = spawned) },
      );
      await proxy.waitForBytesUp(1024 * 1024);
      process.kill(pid, 'SIGTERM');
      const failure = failureOf(await running);
      expect(failure).toMatchObject({ code: 'Cancelled', reason: 'cancelled (the runner received a termination signal)' });
    } finally {
      await proxy.close();
    }
    expect(await listKeys(bucket, runPrefix(run))).toEqual([]);
    expect(await pendingUploads(runPrefix(run))).toBe(0);
    // The snapshot transaction and pg_dump are gone too.
    const left = await withDatabase('postgres', async (c) => (await c.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1`, [source])).rows[0]);
    expect(left).toEqual({ n: 0 });
  });
});
