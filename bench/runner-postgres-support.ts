// For bench/runner-postgres.ts: the servers (the test environment's when LIFEBOAT_TESTENV is
// set, else a throwaway PostgreSQL cluster and MinIO of our own), a generated dataset of
// text and JSON rows, and runs of lifeboat-runner with a task of the bench's own.
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';
import { testbinDir } from '../test/env/binaries.ts';
import { ensureLogDir } from '../test/env/control-plane.ts';
import { startMinio } from '../test/env/minio.ts';
import { startPostgres } from '../test/env/postgres.ts';
import { TESTENV_VAR, testEnv } from '../test/support/env.ts';
import { MiB, listenerPid, runJob, type RunnerRun } from './peers.ts';

export { MiB };

export interface Servers {
  postgres: { host: string; port: number; user: string; binDir: string };
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
  client: S3Client;
  /** The server processes, for the CPU they spend (undefined when not found). */
  pids: { postgres: number | undefined; s3: number | undefined };
  stop(): Promise<void>;
}

export async function servers(): Promise<Servers> {
  const connect = async (postgres: Omit<Servers['postgres'], 'pid'>, s3: Servers['s3'], stop: () => Promise<void>, s3Pid = listenerPid(s3.endpoint)): Promise<Servers> => ({
    postgres,
    s3,
    pids: { postgres: await postmasterPid(postgres), s3: s3Pid },
    client: new S3Client({
      region: s3.region,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      requestHandler: { httpAgent: { keepAlive: true, maxSockets: 64 } },
    }),
    stop,
  });
  if (process.env[TESTENV_VAR]) {
    const info = testEnv();
    return connect(info.postgres, info.s3, async () => undefined);
  }
  const workDir = mkdtempSync(join(tmpdir(), 'lifeboat-bench-pg-'));
  ensureLogDir(workDir);
  // The postgres user must be able to walk into it.
  chmodSync(workDir, 0o755);
  const [postgres, minio] = await Promise.all([startPostgres(workDir), startMinio(join(testbinDir(), 'minio'), workDir)]);
  return connect(
    postgres,
    minio,
    async () => {
      await Promise.all([postgres.process.stop(), minio.process.stop()]);
      rmSync(workDir, { recursive: true, force: true });
    },
    minio.process.pid,
  );
}

/** The postmaster's pid from postmaster.pid in the data directory (a local server only). */
async function postmasterPid(postgres: Omit<Servers['postgres'], 'pid'>): Promise<number | undefined> {
  const client = new pg.Client({ host: postgres.host, port: postgres.port, user: postgres.user, database: 'postgres' });
  await client.connect();
  try {
    const { rows } = await client.query<{ setting: string }>(`SELECT setting FROM pg_settings WHERE name = 'data_directory'`);
    const pid = Number(readFileSync(join(rows[0]?.setting ?? '', 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  } finally {
    await client.end();
  }
}

export async function makeBucket(client: S3Client): Promise<string> {
  const bucket = `bench-pg-${randomBytes(3).toString('hex')}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

export function libpq(server: Servers, database: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    PGHOST: server.postgres.host,
    PGPORT: String(server.postgres.port),
    PGUSER: server.postgres.user,
    PGDATABASE: database,
  };
}

export async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(server: Servers, database: string, text: string): Promise<T[]> {
  const client = new pg.Client({ host: server.postgres.host, port: server.postgres.port, user: server.postgres.user, database });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

/** Runs a command, returns wall seconds; throws with its stderr on failure. */
export function timed(command: string, args: string[], env: NodeJS.ProcessEnv, options: { stdin?: NodeJS.ReadableStream } = {}): Promise<number> {
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env, stdio: [options.stdin ? 'pipe' : 'ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    if (options.stdin && child.stdin) options.stdin.pipe(child.stdin);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolvePromise((performance.now() - started) / 1000);
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr}`));
    });
  });
}

/** Runs lifeboat-runner with a task the bench wrote itself (the restores), under GNU time. */
export function runTask(server: Servers, subcommand: string, task: unknown): Promise<RunnerRun> {
  return runJob({
    subcommand,
    task: task as Record<string, unknown>,
    env: {
      AWS_ACCESS_KEY_ID: server.s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.s3.secretAccessKey,
      PGUSER: server.postgres.user,
      LIFEBOAT_PG_BINDIR: server.postgres.binDir,
      LIFEBOAT_TASK: JSON.stringify(task),
    },
  });
}

// Text that compresses like prose (about 3x with zstd), not like pgbench's filler (50x):
// words drawn from a 4,000-word vocabulary with a skewed distribution, plus JSON attributes.
const SYLLABLES = ['ba', 'ke', 'lo', 'mi', 'nu', 'ra', 'se', 'ti', 'vo', 'za', 'an', 'er', 'is', 'on', 'ul', 'tra', 'pre', 'con', 'dis', 'ment', 'ing', 'tion', 'al', 'ous'];

function* documentRows(first: number, last: number, seed: number): Generator<string> {
  let state = seed >>> 0 || 1;
  const random = (): number => {
    // xorshift32: fast and reproducible; quality is irrelevant here.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const vocabulary = Array.from({ length: 4000 }, () =>
    Array.from({ length: 2 + Math.floor(random() * 3) }, () => SYLLABLES[Math.floor(random() * SYLLABLES.length)]).join(''),
  );
  const word = (skew: number): string => vocabulary[Math.floor(random() ** skew * vocabulary.length)] as string;
  const epoch = Date.parse('2024-01-01T00:00:00Z');
  for (let id = first; id <= last; id++) {
    const title = Array.from({ length: 4 + (id % 5) }, () => word(3)).join(' ');
    const body = Array.from({ length: 90 + (id % 60) }, () => word(3)).join(' ');
    const attrs = JSON.stringify({
      author: `user${Math.floor(random() * 50000)}`,
      score: Math.round(random() * 10000) / 100,
      tags: Array.from({ length: 1 + (id % 4) }, () => word(2)),
      views: Math.floor(random() * 1e6),
      draft: id % 7 === 0,
    });
    yield `${id}\t${title}\t${body}\t${attrs}\t${new Date(epoch + id * 17_000).toISOString()}\n`;
  }
}

/** Creates (or reuses, if complete) a database of about `sizeMb` of text and JSON rows. */
export async function ensureDataset(server: Servers, sizeMb: number): Promise<string> {
  const database = `bench_documents_${sizeMb}mb`;
  const exists = await sql(server, 'postgres', `SELECT 1 FROM pg_database WHERE datname = '${database}'`);
  if (exists.length > 0) {
    const done = await sql(server, database, `SELECT 1 FROM pg_class WHERE relname = 'dataset_complete'`);
    if (done.length > 0) return database;
    await sql(server, 'postgres', `DROP DATABASE "${database}" WITH (FORCE)`);
  }
  await sql(server, 'postgres', `CREATE DATABASE "${database}" TEMPLATE template0 ENCODING 'UTF8'`);
  await sql(
    server,
    database,
    `CREATE TABLE documents (id bigint PRIMARY KEY, title text NOT NULL, body text NOT NULL, attrs jsonb NOT NULL, created_at timestamptz NOT NULL);
     CREATE INDEX documents_created_at ON documents (created_at);
     CREATE TABLE authors (id int PRIMARY KEY, name text NOT NULL, profile jsonb);
     INSERT INTO authors SELECT g, 'user' || g, jsonb_build_object('joined', now() - g * interval '1 hour', 'karma', g % 977) FROM generate_series(1, 50000) g;`,
  );
  // About 1.08 KB per row on disk, data and index.
  const rows = Math.round((sizeMb * MiB) / 1100);
  // Two COPY streams in parallel: one per core.
  const halves = [
    [1, Math.floor(rows / 2)],
    [Math.floor(rows / 2) + 1, rows],
  ] as const;
  await Promise.all(
    halves.map(([first, last], index) => {
      const lines = (function* () {
        let batch = '';
        for (const line of documentRows(first, last, 7 + index)) {
          batch += line;
          if (batch.length > 1 << 20) {
            yield batch;
            batch = '';
          }
        }
        if (batch) yield batch;
      })();
      return timed(join(server.postgres.binDir, 'psql'), ['-q', '-c', '\\copy documents FROM STDIN'], libpq(server, database), {
        stdin: Readable.from(lines),
      });
    }),
  );
  await sql(server, database, 'VACUUM ANALYZE');
  await sql(server, database, 'CREATE TABLE dataset_complete ()');
  return database;
}

export async function databaseSize(server: Servers, database: string): Promise<number> {
  const [row] = await sql<{ size: string }>(server, database, 'SELECT pg_database_size(current_database()) AS size');
  return Number(row?.size ?? 0);
}

export async function freshDatabase(server: Servers, name: string): Promise<string> {
  await sql(server, 'postgres', `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await sql(server, 'postgres', `CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8'`);
  return name;
}

export async function dropDatabase(server: Servers, name: string): Promise<void> {
  await sql(server, 'postgres', `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}
