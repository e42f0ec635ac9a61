// Shared by the bucket benchmarks: an S3 server (the test environment's when LIFEBOAT_TESTENV
// is set, else a MinIO of our own from the test binaries), generated datasets, plain parallel
// GETs as the reference, and running lifeboat-runner as a child process with its peak RSS
// measured by GNU time.
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { spawn } from 'node:child_process';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { runnerNodeOptions } from '../src/core/jobs/runner-heap.ts';
import { createObjectReader } from '../src/s3/object-reader.ts';
import { testbinDir } from '../test/env/binaries.ts';
import { ensureLogDir } from '../test/env/control-plane.ts';
import { startMinio } from '../test/env/minio.ts';
import { TESTENV_VAR, testEnv } from '../test/support/env.ts';

export const repoRoot = resolve(import.meta.dirname, '..');
export const KiB = 1024;
export const MiB = 1024 * KiB;

export interface S3Server {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  client: S3Client;
  /** The S3 server's process, to read the CPU time it spends (undefined if not found). */
  pid: number | undefined;
  stop(): Promise<void>;
}

export async function s3Server(): Promise<S3Server> {
  const connect = (info: Omit<S3Server, 'client' | 'stop' | 'pid'>, stop: () => Promise<void>, pid = serverPid(info.endpoint)): S3Server => ({
    ...info,
    pid,
    client: new S3Client({
      region: info.region,
      endpoint: info.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey },
      requestHandler: { httpAgent: { keepAlive: true, maxSockets: 64 } },
    }),
    stop,
  });
  if (process.env[TESTENV_VAR]) {
    const { s3 } = testEnv();
    return connect(s3, async () => undefined);
  }
  const workDir = mkdtempSync(join(tmpdir(), 'lifeboat-bench-'));
  ensureLogDir(workDir);
  const minio = await startMinio(join(testbinDir(), 'minio'), workDir);
  return connect(
    minio,
    async () => {
      await minio.process.stop();
      rmSync(workDir, { recursive: true, force: true });
    },
    minio.process.pid,
  );
}

/** The process listening at the endpoint's port, found by its command line (MinIO's --address). */
function serverPid(endpoint: string): number | undefined {
  const address = `127.0.0.1:${new URL(endpoint).port}`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(address)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** CPU seconds (user + system) a process has used so far; NaN if unknown. */
export function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

export function uniqueBucket(purpose: string): string {
  return `bench-${purpose}-${randomBytes(3).toString('hex')}`;
}

export async function makeBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
}

/** Runs tasks with at most `limit` at a time. */
export async function parallel<T>(items: T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Deterministic pseudo-random bytes: an AES-CTR keystream, as incompressible as real media. */
export function keystream(size: number, seed: string): Readable {
  const cipher = createCipheriv('aes-256-ctr', createHash('sha256').update(seed).digest(), Buffer.alloc(16));
  const zeros = Buffer.alloc(MiB);
  let left = size;
  return new Readable({
    read() {
      const n = Math.min(left, zeros.length);
      left -= n;
      this.push(n > 0 ? cipher.update(zeros.subarray(0, n)) : null);
    },
  });
}

/** `count` objects of 4-64 KiB under small/, half random bytes, half text (so compression has work). */
export async function seedSmallObjects(client: S3Client, bucket: string, count: number): Promise<{ bytes: number }> {
  const random = randomBytes(64 * KiB);
  const text = Buffer.from(
    Array.from({ length: 2000 }, (_, i) => `{"id":${i},"name":"item-${i}","tags":["a","b"],"updated":"2025-01-01T00:00:${i % 60}Z"}\n`).join(''),
  );
  let bytes = 0;
  await parallel(
    Array.from({ length: count }, (_, i) => i),
    32,
    async (i) => {
      const size = 4 * KiB + ((i * 7919) % (60 * KiB + 1));
      const source = i % 2 === 0 ? random : text;
      const offset = (i * 131) % (source.length - size);
      const body = Buffer.concat([Buffer.from(`${i}:`), source.subarray(offset, offset + size - String(i).length - 1)]);
      bytes += body.length;
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: `small/${String(i).padStart(6, '0')}.bin`, Body: body }));
    },
  );
  return { bytes };
}

export async function seedLargeObjects(client: S3Client, bucket: string, count: number, size: number): Promise<void> {
  await parallel(
    Array.from({ length: count }, (_, i) => i),
    2,
    async (i) => {
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key: `large/${i}.bin`, Body: keystream(size, `large-${i}`) },
        partSize: 16 * MiB,
        queueSize: 2,
      });
      await upload.done();
    },
  );
}

/** Plain parallel GETs of the keys with the AWS SDK, bodies read and dropped: what a script would do. */
export async function parallelGets(client: S3Client, bucket: string, keys: string[], concurrency: number): Promise<{ seconds: number; bytes: number }> {
  const started = performance.now();
  let bytes = 0;
  await parallel(keys, concurrency, async (key) => {
    const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    for await (const chunk of response.Body as AsyncIterable<Buffer>) bytes += chunk.length;
  });
  return { seconds: (performance.now() - started) / 1000, bytes };
}

/**
 * Plain parallel GETs with the runner's own object reader (SigV4 on node:http, no SDK), bodies
 * read and dropped: the cheapest way this machine has to read the objects, so the real limit.
 */
export async function leanParallelGets(server: S3Server, bucket: string, keys: string[], concurrency: number): Promise<{ seconds: number; bytes: number }> {
  const get = createObjectReader(
    { endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentialsEnvPrefix: 'BENCH_' },
    { env: { BENCH_ACCESS_KEY_ID: server.accessKeyId, BENCH_SECRET_ACCESS_KEY: server.secretAccessKey }, maxSockets: concurrency },
  );
  const started = performance.now();
  let bytes = 0;
  await parallel(keys, concurrency, async (key) => {
    const response = await get({ bucket, key });
    for await (const chunk of response.body) bytes += chunk.length;
  });
  return { seconds: (performance.now() - started) / 1000, bytes };
}

/**
 * The runner as the Job runs it: the compiled dist/runner/main.js (make build), else the
 * TypeScript source (which also loads Node's type stripper, about 30 MB more RSS).
 * LIFEBOAT_BENCH_RUNNER overrides it.
 */
export function runnerEntry(): string {
  const compiled = join(repoRoot, 'dist/runner/main.js');
  return process.env.LIFEBOAT_BENCH_RUNNER ?? (existsSync(compiled) ? compiled : join(repoRoot, 'src/runner/main.ts'));
}

/**
 * V8 heap sizing for the runner process (see runner-bucket-memory.ts): what the operator gives
 * a runner Job with a 256Mi memory limit (src/core/jobs/runner-heap.ts).
 */
export const RUNNER_NODE_OPTIONS = runnerNodeOptions('256Mi') as string;

export interface RunnerMeasurement {
  ok: boolean;
  seconds: number;
  /** User + system CPU time of the runner process (GNU time; children such as zstd not included). */
  cpuSeconds: number;
  /** CPU time the S3 server spent meanwhile (NaN when its process is unknown). */
  serverCpuSeconds: number;
  peakRssBytes: number;
  result: { ok: boolean; summary?: Record<string, unknown>; reason?: string };
}

/** Runs `lifeboat-runner <subcommand>` as its own process under GNU time (peak RSS). */
export async function runRunnerMeasured(server: S3Server, subcommand: string, task: unknown, env: NodeJS.ProcessEnv = {}): Promise<RunnerMeasurement> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-bench-run-'));
  const resultFile = join(dir, 'result.json');
  const node = join(repoRoot, 'node_modules/.bin/node');
  const serverCpuBefore = cpuSecondsOf(server.pid);
  const started = performance.now();
  try {
    const child = spawn('/usr/bin/time', ['-v', node, runnerEntry(), subcommand, '--result-file', resultFile], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AWS_ACCESS_KEY_ID: server.accessKeyId,
        AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
        LIFEBOAT_TASK: JSON.stringify(task),
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((done) => child.on('close', done));
    const seconds = (performance.now() - started) / 1000;
    const peak = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
    const cpu = ['User time \\(seconds\\)', 'System time \\(seconds\\)'].map((label) => Number(new RegExp(`${label}: ([\\d.]+)`).exec(stderr)?.[1] ?? NaN));
    let result: RunnerMeasurement['result'];
    try {
      result = JSON.parse(readFileSync(resultFile, 'utf8'));
    } catch {
      result = { ok: false, reason: `no result (exit ${code}): ${stderr.slice(0, 500)}` };
    }
    return { ok: code === 0 && result.ok, seconds, cpuSeconds: (cpu[0] as number) + (cpu[1] as number), serverCpuSeconds: cpuSecondsOf(server.pid) - serverCpuBefore, peakRssBytes: peak ? Number(peak[1]) * 1024 : NaN, result };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function storage(server: S3Server, bucket: string) {
  return { endpoint: server.endpoint, region: server.region, bucket, prefix: 'bench' };
}

export function location(run: string) {
  return { namespace: 'bench', schedule: 'bucket', run, source: 'files' };
}

export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function mb(bytes: number): string {
  return (bytes / MiB).toFixed(1);
}
