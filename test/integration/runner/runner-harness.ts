// Runs lifeboat-runner as the kubelet does (a child process with the task in LIFEBOAT_TASK,
// credentials in env vars, the result in a termination-message file) against the test
// environment's PostgreSQL and S3, plus helpers to inspect both.
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { RunnerExit } from '../../../src/contract/runner-env.ts';
import { isPermanentFailure } from '../../../src/failures/runner-error.ts';
import { createS3Client } from '../../../src/s3/client.ts';
import { testEnv, type TestEnvInfo } from '../../support/env.ts';

export const repoRoot = resolve(import.meta.dirname, '../../..');
const RUNNER = join(repoRoot, 'src/runner/main.ts');
/** What the runner image runs: the compiled runner from `make build` (no type stripper loaded). */
const COMPILED_RUNNER = join(repoRoot, 'dist/runner/main.js');

export interface RunnerRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The termination message, parsed. */
  result: Record<string, unknown> & { ok: boolean; code?: string; reason?: string; summary?: Record<string, unknown> };
  /** The JSON log lines. */
  logs: Record<string, unknown>[];
}

export function env(): TestEnvInfo {
  return testEnv();
}

/** The environment a Job gives the runner: credentials as variables, nothing in the task. */
export function runnerEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const info = env();
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: info.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: info.s3.secretAccessKey,
    PGUSER: info.postgres.user,
    LIFEBOAT_PG_BINDIR: info.postgres.binDir,
    ...extra,
  };
}

export async function runRunner(
  subcommand: string,
  task: unknown,
  options: { env?: NodeJS.ProcessEnv; onSpawn?: (pid: number) => void; compiled?: boolean } = {},
): Promise<RunnerRun> {
  if (options.compiled && !existsSync(COMPILED_RUNNER)) throw new Error(`${COMPILED_RUNNER} is missing: run 'make build' first`);
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-runner-test-'));
  const resultFile = join(dir, 'termination-log');
  try {
    const child = spawn(process.execPath, [options.compiled ? COMPILED_RUNNER : RUNNER, subcommand], {
      env: { ...runnerEnv(options.env), LIFEBOAT_TASK: JSON.stringify(task), LIFEBOAT_RESULT_FILE: resultFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    options.onSpawn?.(child.pid as number);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((done) => child.on('close', done));
    let result: RunnerRun['result'];
    try {
      result = JSON.parse(readFileSync(resultFile, 'utf8'));
    } catch {
      throw new Error(`runner wrote no result (exit ${code}): ${stderr}\n${stdout}`);
    }
    const logs = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    return { code, stdout, stderr, result, logs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The facts of a failure, after checking the exit status: 3 when a retry cannot help, 1 when
 * it may (what the Job's podFailurePolicy acts on).
 */
export function failureOf(run: RunnerRun): { code: string; reason: string; stderrLine: string } {
  if (run.code === 0) throw new Error(`expected the runner to fail, it succeeded: ${JSON.stringify(run.result)}`);
  const exit = isPermanentFailure(String(run.result.code)) ? RunnerExit.permanent : RunnerExit.retryable;
  if (run.code !== exit) throw new Error(`a ${String(run.result.code)} failure must exit ${exit}, the runner exited ${run.code}`);
  const lines = run.stderr.split('\n').filter((line) => line.trim() !== '' && !line.includes('ExperimentalWarning') && !line.includes('--trace-warnings'));
  return { code: String(run.result.code), reason: String(run.result.reason), stderrLine: lines.join('\n') };
}

export function s3(): S3Client {
  const info = env();
  return createS3Client(
    { endpoint: info.s3.endpoint, region: info.s3.region, forcePathStyle: true, credentialsEnvPrefix: 'AWS_' },
    { env: { AWS_ACCESS_KEY_ID: info.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: info.s3.secretAccessKey } },
  );
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export async function makeBucket(prefix = 'lb-runner'): Promise<string> {
  const bucket = uniqueName(prefix);
  await s3().send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

export async function listKeys(bucket: string, prefix = ''): Promise<string[]> {
  const page = await s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (page.Contents ?? []).map((object) => object.Key as string);
}

export async function getObject(bucket: string, key: string): Promise<Buffer> {
  const response = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await (response.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

export async function putObject(bucket: string, key: string, body: Buffer): Promise<void> {
  await s3().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

export function storageFor(bucket: string, prefix = 'backups') {
  return { bucket, prefix, endpoint: env().s3.endpoint, region: env().s3.region };
}

export function connectionTo(database: string) {
  const info = env();
  return { host: info.postgres.host, port: info.postgres.port, database, sslMode: 'disable' as const };
}

export async function withDatabase<T>(database: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const info = env();
  const client = new pg.Client({ host: info.postgres.host, port: info.postgres.port, user: info.postgres.user, database });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

export async function createDatabase(name: string): Promise<void> {
  await withDatabase('postgres', (client) => client.query(`CREATE DATABASE "${name}" TEMPLATE template0`));
}

export async function dropDatabase(name: string): Promise<void> {
  await withDatabase('postgres', (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

export async function databaseExists(name: string): Promise<boolean> {
  return withDatabase('postgres', async (client) => (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1);
}

/** A database name PostgreSQL accepts and tests can tell apart. */
export function databaseName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}
