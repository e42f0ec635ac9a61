// For bench/operator-scale.ts: what is measured of the operator process from outside it (CPU
// and RSS from /proc, its reconciles from its /metrics, its API requests from the API server's
// audit log), and a recorder that notes, to the millisecond, when each BackupRun and runner Job
// was first seen and when each run was first seen finished (watch events arriving in the
// benchmark's process; the API's timestamps have whole seconds).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { Annotations, Labels } from '../src/core/metadata.ts';
import { BACKUP_RUNS } from '../src/controllers/resource-types.ts';
import { MANAGED_SELECTOR } from '../src/controllers/informers.ts';
import type { KubeClient } from '../src/kube/client.ts';
import { JOBS } from '../src/kube/resource-type.ts';
import type { KubeObject } from '../src/kube/types.ts';
import { Informer } from '../src/runtime/informer.ts';
import { repoRoot } from '../test/env/paths.ts';

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds (user + system) and RSS of a process, from /proc. */
export function processUsage(pid: number): { cpuSeconds: number; rssBytes: number; peakRssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces), 1-based as in proc(5): utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { cpuSeconds: ticks / CLOCK_TICKS, rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') };
}

/** Samples a process's RSS every second, keeping the peak, until stopped. */
export class RssSampler {
  peakBytes = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(pid: number) {
    this.#timer = setInterval(() => {
      try {
        this.peakBytes = Math.max(this.peakBytes, processUsage(pid).rssBytes);
      } catch {
        // the process ended
      }
    }, 1_000);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** Reconciles by kind, summed over results, from the operator's Prometheus text. */
export async function reconcileCounts(metricsUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^lifeboat_reconcile_total\{([^}]*)\}\s+([0-9.e+]+)/.exec(line);
    if (!match) continue;
    const kind = /kind="([^"]*)"/.exec(match[1]!)?.[1] ?? '?';
    counts.set(kind, (counts.get(kind) ?? 0) + Number(match[2]));
  }
  return counts;
}

/** Mean seconds per reconcile by kind, from lifeboat_reconcile_duration_seconds (sum and count). */
export async function reconcileSeconds(metricsUrl: string): Promise<Map<string, { sum: number; count: number }>> {
  const text = await (await fetch(metricsUrl)).text();
  const byKind = new Map<string, { sum: number; count: number }>();
  for (const line of text.split('\n')) {
    const match = /^lifeboat_reconcile_duration_seconds_(sum|count)\{kind="([^"]*)"\}\s+([0-9.e+-]+)/.exec(line);
    if (!match) continue;
    const entry = byKind.get(match[2]!) ?? { sum: 0, count: 0 };
    entry[match[1] as 'sum' | 'count'] = Number(match[3]);
    byKind.set(match[2]!, entry);
  }
  return byKind;
}

export interface AuditCount {
  total: number;
  /** Response code -> count, e.g. 409 for conflicts and creates of what exists. */
  byCode: Map<number, number>;
  /** The API server's time on each request (received -> response complete, ms), watches excluded. */
  serverMs: number[];
  /** "verb resource" -> count, e.g. "get secrets", "create jobs", "patch backupschedules/status". */
  byRequest: Map<string, number>;
}

/**
 * The user's requests the API server completed between `from` and `to` (epoch ms, by
 * requestReceivedTimestamp), from the audit log after byte `offset`. A watch counts once,
 * when it ends (its ResponseComplete), so long watches fall outside the window.
 */
export function countAudited(path: string, offset: number, user: string, from: number, to: number): AuditCount {
  const byRequest = new Map<string, number>();
  const byCode = new Map<number, number>();
  const serverMs: number[] = [];
  let total = 0;
  forEachLine(path, offset, (line) => {
    if (!line.includes(user)) return;
    let event: { stage?: string; user?: { username?: string }; verb?: string; responseStatus?: { code?: number }; objectRef?: { resource?: string; subresource?: string }; requestReceivedTimestamp?: string; stageTimestamp?: string };
    try {
      event = JSON.parse(line) as typeof event;
    } catch {
      return;
    }
    if (event.stage !== 'ResponseComplete' || event.user?.username !== user) return;
    const at = Date.parse(event.requestReceivedTimestamp ?? '');
    if (!(at >= from && at < to)) return;
    total++;
    const resource = event.objectRef ? `${event.objectRef.resource ?? ''}${event.objectRef.subresource ? `/${event.objectRef.subresource}` : ''}` : '(non-resource)';
    const code = event.responseStatus?.code ?? 0;
    const key = `${event.verb ?? '?'} ${resource}${code >= 300 ? ` (${code})` : ''}`;
    byRequest.set(key, (byRequest.get(key) ?? 0) + 1);
    byCode.set(code, (byCode.get(code) ?? 0) + 1);
    if (event.verb !== 'watch') serverMs.push(Date.parse(event.stageTimestamp ?? '') - at);
  });
  return { total, byCode, byRequest, serverMs };
}

export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function forEachLine(path: string, offset: number, onLine: (line: string) => void): void {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(8 * 1024 * 1024);
    let position = offset;
    let rest = '';
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, position);
      if (read === 0) break;
      position += read;
      const lines = (rest + buffer.toString('utf8', 0, read)).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    }
    if (rest) onLine(rest);
  } finally {
    closeSync(fd);
  }
}

interface WatchedRun extends KubeObject {
  status?: { phase?: string };
}

/** What the recorder knows of one BackupRun. */
export interface RunMarks {
  namespace: string;
  name: string;
  schedule: string | undefined;
  /** The cron time it was created for (epoch ms); undefined for a manual run. */
  scheduledAt: number | undefined;
  /** First seen (epoch ms). */
  seenAt: number;
  /** Its first backup Job first seen. */
  firstJobAt?: number;
  /** First seen in a final phase, and which. */
  finishedAt?: number;
  phase?: string;
}

const FINAL = new Set(['Succeeded', 'PartiallyFailed', 'Failed']);

/**
 * BackupRuns and Lifeboat's Jobs in every namespace whose name starts with `prefix`, each noted
 * when first seen (and runs when first seen final). Keeps what it saw after the objects are
 * deleted (retention prunes runs while the benchmark runs).
 */
export class ScaleRecorder {
  readonly runs = new Map<string, RunMarks>();
  readonly #earlyJobs = new Map<string, number>();
  readonly #informers: Informer<KubeObject>[];
  readonly #prefix: string;

  constructor(client: KubeClient, prefix: string) {
    this.#prefix = prefix;
    const logger = pino({ level: 'warn' }, pino.destination(2));
    const runs = new Informer<KubeObject>({ name: 'runs', sources: [client.listWatch<KubeObject>(BACKUP_RUNS, {})], logger });
    runs.on((event) => {
      if (event.type !== 'deleted') this.#run(event.object as WatchedRun);
    });
    const jobs = new Informer<KubeObject>({ name: 'jobs', sources: [client.listWatch<KubeObject>(JOBS, { labelSelector: MANAGED_SELECTOR })], logger });
    jobs.on((event) => {
      if (event.type === 'added') this.#job(event.object);
    });
    this.#informers = [runs, jobs];
  }

  async start(): Promise<void> {
    for (const informer of this.#informers) informer.start();
    await Promise.all(this.#informers.map((informer) => informer.waitForSync()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.#informers.map((informer) => informer.stop()));
  }

  #run(run: WatchedRun): void {
    const namespace = run.metadata.namespace ?? '';
    if (!namespace.startsWith(this.#prefix)) return;
    const key = `${namespace}/${run.metadata.name ?? ''}`;
    const now = Date.now();
    let marks = this.runs.get(key);
    if (!marks) {
      const scheduled = run.metadata.annotations?.[Annotations.scheduledTime];
      marks = {
        namespace,
        name: run.metadata.name ?? '',
        schedule: run.metadata.labels?.[Labels.schedule] ?? (run as { spec?: { scheduleRef?: { name?: string } } }).spec?.scheduleRef?.name,
        scheduledAt: scheduled ? Date.parse(scheduled) : undefined,
        seenAt: now,
      };
      const early = this.#earlyJobs.get(key);
      if (early !== undefined) marks.firstJobAt = early;
      this.runs.set(key, marks);
    }
    const phase = run.status?.phase;
    if (phase && FINAL.has(phase) && marks.finishedAt === undefined) {
      marks.finishedAt = now;
      marks.phase = phase;
    }
  }

  #job(job: KubeObject): void {
    const namespace = job.metadata.namespace ?? '';
    const labels = job.metadata.labels ?? {};
    const run = labels[Labels.backupRun];
    if (!namespace.startsWith(this.#prefix) || !run || labels[Labels.step] !== 'backup') return;
    const key = `${namespace}/${run}`;
    const now = Date.now();
    const marks = this.runs.get(key);
    if (!marks) {
      // The Job's event came before its run's (two watches): keep it for when the run arrives.
      if (!this.#earlyJobs.has(key)) this.#earlyJobs.set(key, now);
    } else if (marks.firstJobAt === undefined) marks.firstJobAt = now;
  }
}

/** Percentile (0-100) of numbers, nearest rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * The process kubelet in fast mode on a node of its own (tainted: only pods that tolerate it
 * land there), as its own process, so that its work does not delay this process's watches.
 */
export function spawnFastKubelet(kubeconfig: string, nodeName: string, workDir: string): ChildProcess {
  return spawn(
    process.execPath,
    [join(repoRoot, 'test/env/kubelet/main.ts'), '--kubeconfig', kubeconfig, '--node-name', nodeName, '--work-dir', workDir, '--complete-runner-pods', '--log-level', 'warn'],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, LIFEBOAT_KUBELET_MODE: 'process' } },
  );
}

/**
 * The floor the API server sets at one cron instant, measured in the same run: for `count` runs,
 * the least a client must do before each run has its first Job — create a BackupRun, then a
 * (suspended, so podless) Job — all started at once, `width` in flight. Returns each pair's
 * seconds from the burst's start to its Job's creation, so the operator's cron -> Job can be read
 * against what this control plane allows at all.
 */
export async function apiFloorSeconds(client: KubeClient, namespace: string, count: number, width: number): Promise<number[]> {
  const started = Date.now();
  const seconds: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) {
        const name = `floor-${next++}`;
        await client.create(BACKUP_RUNS, { apiVersion: 'lifeboat.dev/v1alpha1', kind: 'BackupRun', metadata: { name, namespace }, spec: { deletionPolicy: 'Retain', scheduleRef: { name: 'app' } } } as KubeObject);
        await client.create(JOBS, {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: { name, namespace },
          spec: { suspend: true, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'runner', image: 'lifeboat-runner:floor' }] } } },
        } as KubeObject);
        seconds.push((Date.now() - started) / 1000);
      }
    }),
  );
  return seconds;
}
