// What the runner benchmarks share: Lifeboat run with the settings a user gets by setting
// nothing (the Job the operator builds for a BackupSchedule with no jobTemplate, no
// compression, no parallelism), the stock tools it races (rclone, tar, zstd, pg_dump in shell
// pipelines), and every command's CPU seconds from GNU time.
//
// CPU seconds come from the rusage wait4 returns for the process GNU time starts: its own time
// plus that of every child it waited for. So the runner's figure includes pg_dump and zstd, and
// a pipeline run by bash includes each command of the pipeline. The servers (PostgreSQL, the S3
// server) are measured apart, from /proc.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BackupSource, BackupStorage } from '../src/api/index.ts';
import { RunnerEnv } from '../src/contract/runner-env.ts';
import { buildBackupJob } from '../src/core/jobs/backup-job.ts';

export const repoRoot = resolve(import.meta.dirname, '..');
export const MiB = 2 ** 20;
export const GiB = 2 ** 30;

export interface Measured {
  seconds: number;
  /** User + system CPU seconds of the process and of every child it waited for. */
  cpuSeconds: number;
  peakRssBytes: number;
}

/** Runs a command under GNU time; throws with the tail of its stderr when it fails. */
export async function measure(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-bench-time-'));
  const timeFile = join(dir, 'time');
  const started = performance.now();
  try {
    const child = spawn('/usr/bin/time', ['-f', '%U %S %M', '-o', timeFile, command, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const code = await new Promise<number | null>((done, fail) => {
      child.on('error', fail);
      child.on('close', done);
    });
    const seconds = (performance.now() - started) / 1000;
    if (code !== 0) throw new Error(`${command} exited ${code}: ${stderr}`);
    // GNU time writes "Command exited with non-zero status" first when it fails; the figures are the last line.
    const [user, system, rssKb] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()?.split(' ').map(Number) ?? [];
    return { seconds, cpuSeconds: (user ?? NaN) + (system ?? NaN), peakRssBytes: (rssKb ?? NaN) * 1024 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A bash pipeline (pipefail) under GNU time: CPU seconds of every command in it. */
export function measureShell(script: string, env: NodeJS.ProcessEnv): Promise<Measured> {
  return measure('bash', ['-euo', 'pipefail', '-c', script], env);
}

export const quote = (word: string): string => `'${word.replaceAll("'", "'\\''")}'`;

export interface S3Endpoint {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * An rclone remote named `name` for the S3 server, configured only through environment
 * variables (RCLONE_CONFIG_<NAME>_*), so the key pair is never on a command line.
 */
export function rcloneRemote(name: string, s3: S3Endpoint): Record<string, string> {
  const prefix = `RCLONE_CONFIG_${name.toUpperCase()}_`;
  return {
    [`${prefix}TYPE`]: 's3',
    [`${prefix}PROVIDER`]: 'Minio',
    [`${prefix}ENDPOINT`]: s3.endpoint,
    [`${prefix}REGION`]: s3.region,
    [`${prefix}ACCESS_KEY_ID`]: s3.accessKeyId,
    [`${prefix}SECRET_ACCESS_KEY`]: s3.secretAccessKey,
  };
}

/** The environment a peer's shell pipeline gets: PATH, a scratch HOME, and the rclone remotes. */
export function peerEnv(home: string, ...remotes: Record<string, string>[]): NodeJS.ProcessEnv {
  // No config file: every remote comes from the environment.
  return { PATH: process.env.PATH, HOME: home, RCLONE_CONFIG: join(home, 'rclone.conf'), ...Object.assign({}, ...remotes) };
}

/** Secrets as the bench's "cluster" holds them: name -> key -> value. */
export type Secrets = Record<string, Record<string, string>>;

export interface DefaultRunnerJob {
  subcommand: string;
  task: Record<string, unknown>;
  /** The container's env with every secretKeyRef resolved, minus the paths the bench sets itself. */
  env: Record<string, string>;
}

/**
 * The runner Job the operator creates for one source of a BackupRun whose schedule sets only what
 * a user must (where the data is, where backups go, the Secrets): the API's defaults filled in by
 * its schemas, as the API server would, then the operator's own Job builder (task, NODE_OPTIONS
 * from the default memory limit, credential variables).
 */
export function defaultBackupJob(input: { run: string; source: unknown; storage: unknown; secrets: Secrets; jobTemplate?: unknown }): DefaultRunnerJob {
  const job = buildBackupJob(
    {
      name: input.run,
      namespace: 'bench',
      uid: '00000000-0000-0000-0000-000000000000',
      schedule: 'bench',
      storage: BackupStorage.parse(input.storage),
      ...(input.jobTemplate ? { jobTemplate: input.jobTemplate as never } : {}),
    },
    BackupSource.parse(input.source),
    { image: 'lifeboat-runner:bench' },
  );
  const container = job.spec?.template.spec?.containers[0];
  if (!container?.args?.[0]) throw new Error('the operator built a Job without a runner container');
  const ownPaths = new Set<string>([RunnerEnv.resultFile, RunnerEnv.tmpDir, RunnerEnv.home]);
  const env: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    if (ownPaths.has(variable.name)) continue;
    const ref = variable.valueFrom?.secretKeyRef;
    if (ref) {
      const value = input.secrets[ref.name ?? '']?.[ref.key];
      if (value === undefined) throw new Error(`the bench has no Secret ${ref.name} key ${ref.key} (for ${variable.name})`);
      env[variable.name] = value;
    } else env[variable.name] = variable.value ?? '';
  }
  return { subcommand: container.args[0], task: JSON.parse(env[RunnerEnv.task] as string), env };
}

/**
 * The runner as the Job runs it: the compiled dist/runner/main.js (make build), else the
 * TypeScript source (which also loads Node's type stripper). LIFEBOAT_BENCH_RUNNER overrides it.
 */
export function runnerEntry(): string {
  const compiled = join(repoRoot, 'dist/runner/main.js');
  return process.env.LIFEBOAT_BENCH_RUNNER ?? (existsSync(compiled) ? compiled : join(repoRoot, 'src/runner/main.ts'));
}

export interface RunnerRun extends Measured {
  result: { ok: boolean; reason?: string; summary?: Record<string, unknown> };
}

/** Runs lifeboat-runner as its own process with the Job's env (plus `extraEnv`), under GNU time. */
export async function runJob(job: DefaultRunnerJob, extraEnv: Record<string, string> = {}): Promise<RunnerRun> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-bench-run-'));
  const resultFile = join(dir, 'result.json');
  const node = join(repoRoot, 'node_modules/.bin/node');
  try {
    const env = { PATH: process.env.PATH, HOME: dir, TMPDIR: dir, [RunnerEnv.resultFile]: resultFile, ...job.env, ...extraEnv };
    const measured = await measure(node, [runnerEntry(), job.subcommand], env).catch((error: unknown) => {
      const result = existsSync(resultFile) ? readFileSync(resultFile, 'utf8') : '(no result file)';
      throw new Error(`lifeboat-runner ${job.subcommand} failed: ${result}`, { cause: error });
    });
    return { ...measured, result: JSON.parse(readFileSync(resultFile, 'utf8')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The process listening at a local endpoint's port, found by its command line (MinIO's --address). */
export function listenerPid(endpoint: string): number | undefined {
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

/**
 * CPU seconds a server has used so far: its own, plus those of the children it has reaped
 * (PostgreSQL's backends, one per connection, end and are reaped by the postmaster). NaN if unknown.
 */
export function serverCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime, stime, cutime, cstime, in clock ticks (USER_HZ, 100 on Linux).
    return [11, 12, 13, 14].reduce((sum, field) => sum + Number(fields[field]), 0) / 100;
  } catch {
    return NaN;
  }
}

/** Runs `work` and adds the CPU seconds each server spent meanwhile. */
export async function withServers<T>(pids: Record<string, number | undefined>, work: () => Promise<T>): Promise<T & { servers: Record<string, number> }> {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, serverCpuSeconds(pid)]));
  const result = await work();
  const servers = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, serverCpuSeconds(pid) - (before[name] as number)]));
  return { ...result, servers };
}

export const perGiB = (cpuSeconds: number, bytes: number): number => cpuSeconds / (bytes / GiB);

export const fixed = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : '?');
