// Shared by the bucket benchmarks: an S3 server (the test environment's when LIFEBOAT_TESTENV
// is set, else a MinIO of our own from the test binaries), generated datasets, plain parallel
// GETs as the floor, and Lifeboat's bucket backup as the operator's Job runs it by default.
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { BUCKET_BACKUP_TUNING } from '../src/runner/bucket-backup.ts';
import { createS3Client } from '../src/s3/client.ts';
import { createObjectReader } from '../src/s3/object-reader.ts';
import { uploadStream } from '../src/s3/upload.ts';
import { testbinDir } from '../test/env/binaries.ts';
import { ensureLogDir } from '../test/env/control-plane.ts';
import { startMinio } from '../test/env/minio.ts';
import { TESTENV_VAR, testEnv } from '../test/support/env.ts';

import { type RunnerRun, type Secrets, defaultBackupJob, listenerPid, runJob } from './peers.ts';

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
  const connect = (info: Omit<S3Server, 'client' | 'stop' | 'pid'>, stop: () => Promise<void>, pid = listenerPid(info.endpoint)): S3Server => ({
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

/**
 * Plain parallel GETs with the runner's own object reader, as its fetcher makes them (objects
 * above the range size in ranges, each read whole into one buffer), bodies dropped: the
 * cheapest way this machine has to read the objects, so the real limit.
 */
export async function leanParallelGets(
  server: S3Server,
  bucket: string,
  objects: { key: string; size: number }[],
  concurrency: number,
): Promise<{ seconds: number; bytes: number; cpuSeconds: number }> {
  const get = createObjectReader(
    { endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentialsEnvPrefix: 'BENCH_' },
    { env: { BENCH_ACCESS_KEY_ID: server.accessKeyId, BENCH_SECRET_ACCESS_KEY: server.secretAccessKey }, maxSockets: concurrency },
  );
  const { rangeBytes } = BUCKET_BACKUP_TUNING;
  const requests = objects.flatMap(({ key, size }) =>
    size <= rangeBytes
      ? [{ key }]
      : Array.from({ length: Math.ceil(size / rangeBytes) }, (_, i) => ({ key, range: { start: i * rangeBytes, end: Math.min(size, (i + 1) * rangeBytes) - 1 } })),
  );
  const started = performance.now();
  // This process does nothing else meanwhile, so its CPU is the reads' (the kernel's receive work
  // included).
  const cpuBefore = process.cpuUsage();
  let bytes = 0;
  await parallel(requests, concurrency, async (request) => {
    const response = await get({ bucket, ...request, whole: true });
    for await (const chunk of response.body) bytes += chunk.length;
  });
  const cpu = process.cpuUsage(cpuBefore);
  return { seconds: (performance.now() - started) / 1000, bytes, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/**
 * The runner's own upload (uploadStream, the client the runner builds, its part size and queue
 * for buckets) of `bytes` from one reused 64 KiB buffer, so nothing is read, allocated or hashed:
 * the CPU of sending the bytes, the kernel's share included.
 */
export async function uploadOnly(server: S3Server, bucket: string, bytes: number): Promise<{ seconds: number; cpuSeconds: number }> {
  const client = createS3Client(
    { endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentialsEnvPrefix: 'BENCH_' },
    { env: { BENCH_ACCESS_KEY_ID: server.accessKeyId, BENCH_SECRET_ACCESS_KEY: server.secretAccessKey } },
  );
  const chunk = randomBytes(64 * KiB);
  const body = async function* (): AsyncGenerator<Buffer> {
    for (let done = 0; done < bytes; done += chunk.length) yield chunk;
  };
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await uploadStream(client, {
    bucket,
    key: `floor/${Date.now()}.bin`,
    body: body(),
    partSizeBytes: BUCKET_BACKUP_TUNING.uploadPartBytes,
    queueSize: BUCKET_BACKUP_TUNING.uploadQueueSize,
  });
  const cpu = process.cpuUsage(cpuBefore);
  client.destroy();
  return { seconds: (performance.now() - started) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/**
 * CPU seconds of the two SHA-256 passes a backup makes over every byte (each object's, and the
 * stored artifact's), over `bytes` in 64 KiB chunks: the part of the runner's CPU no pipeline
 * change can remove.
 */
export function hashingCpuSeconds(bytes: number): number {
  const chunk = randomBytes(64 * KiB);
  const cpuBefore = process.cpuUsage();
  for (let pass = 0; pass < 2; pass++) {
    const hash = createHash('sha256');
    for (let done = 0; done < bytes; done += chunk.length) hash.update(chunk);
    hash.digest();
  }
  const cpu = process.cpuUsage(cpuBefore);
  return (cpu.user + cpu.system) / 1e6;
}

/**
 * The runner Job the operator builds for a bucket source a user wrote with nothing but the
 * bucket, the endpoint and the storage (so the storage's key pair reads it too): zstd, the
 * default parallelism, the default memory limit's heap flags. `jobTemplate` adds what a user
 * would set there (a memory limit), `recipient` encryption, `parallelism` the source's setting.
 */
export function defaultBucketBackup(server: S3Server, input: { run: string; source: string; prefix: string; backups: string; parallelism?: number; recipient?: string; jobTemplate?: unknown }) {
  const secrets: Secrets = {
    storage: { AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey },
    ...(input.recipient ? { age: { recipients: input.recipient } } : {}),
  };
  return defaultBackupJob({
    run: input.run,
    source: {
      name: 'files',
      bucket: { bucket: input.source, prefix: input.prefix, endpoint: server.endpoint, forcePathStyle: true, ...(input.parallelism ? { parallelism: input.parallelism } : {}) },
    },
    storage: {
      bucket: input.backups,
      prefix: 'bench',
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: true,
      credentialsSecret: { name: 'storage' },
      ...(input.recipient ? { encryption: { recipientsSecret: { name: 'age' } } } : {}),
    },
    secrets,
    ...(input.jobTemplate ? { jobTemplate: input.jobTemplate } : {}),
  });
}

/** Runs the Job's runner under GNU time; fails when the backup does. */
export async function runBucketBackup(job: ReturnType<typeof defaultBucketBackup>): Promise<RunnerRun> {
  const run = await runJob(job);
  if (!run.result.ok) throw new Error(`bucket-backup failed: ${run.result.reason}`);
  return run;
}

export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function mb(bytes: number): string {
  return (bytes / MiB).toFixed(1);
}
