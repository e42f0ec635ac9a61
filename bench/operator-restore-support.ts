// For bench/operator-restore.ts: the test environment (started for the run, or the one
// LIFEBOAT_TESTENV names), and a recorder that puts a wall-clock time on everything that
// happens in the benchmark's namespace: when each RestoreRequest, DRDrillRun, Job and pod was
// first seen in a state (from watches, to the millisecond, unlike the API's whole-second
// timestamps), when the process kubelet started and saw the end of each container (its log),
// and when the runner inside began and finished its task (the runner's own log).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { DR_DRILL_RUNS, RESTORE_REQUESTS } from '../src/controllers/resource-types.ts';
import type { KubeClient } from '../src/kube/client.ts';
import { JOBS, PODS, type ResourceType } from '../src/kube/resource-type.ts';
import type { KubeObject } from '../src/kube/types.ts';
import { Informer } from '../src/runtime/informer.ts';
import { launchSupervisor, stopSupervisor } from '../test/env/supervisor.ts';
import { TESTENV_VAR, testEnv, type TestEnvInfo } from '../test/support/env.ts';

export interface BenchEnvironment {
  info: TestEnvInfo;
  /** Whether this run started it (and stop() tears it down). */
  started: boolean;
  stop(): Promise<void>;
}

/**
 * The environment LIFEBOAT_TESTENV names (kept, with its generated dataset, for the next run),
 * else a new one in a supervisor of its own that dies with this process, as under Jest.
 */
export async function benchEnvironment(say: (line: string) => void): Promise<BenchEnvironment> {
  if (process.env[TESTENV_VAR]) return { info: testEnv(), started: false, stop: async () => undefined };
  const stateDir = mkdtempSync(join(tmpdir(), 'lifeboat-bench-env-'));
  const startedAt = performance.now();
  const state = await launchSupervisor({ stateFile: join(stateDir, 'state.json'), parentPid: process.pid });
  process.env[TESTENV_VAR] = state.infoFile;
  process.env.KUBECONFIG = state.info.kubeconfig;
  say(`test environment up in ${((performance.now() - startedAt) / 1000).toFixed(0)} s (work dir ${state.info.workDir})`);
  return {
    info: state.info,
    started: true,
    stop: async () => {
      await stopSupervisor(state.pid);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

interface Condition {
  type: string;
  status: string;
}

interface Watched extends KubeObject {
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    result?: string;
    conditions?: Condition[];
    containerStatuses?: { state?: { running?: unknown; terminated?: unknown } }[];
    steps?: { name: string; phase?: string }[];
  };
}

const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

/** The pod of a Job, as the logs find it. */
export interface PodIdentity {
  name: string;
  uid: string;
}

/**
 * First-seen times (epoch ms) of named marks:
 *   job/<job>/created, job/<job>/done (SuccessCriteriaMet or Complete), job/<job>/failed;
 *   pod/<job>/created, pod/<job>/bound, pod/<job>/running, pod/<job>/terminated;
 *   restore/<name>/<phase>; drill/<name>/<result>; drill/<name>/step/<step>/<phase>;
 *   from the logs (readLogs): pod/<job>/kubelet-started (the pod worker began),
 *   pod/<job>/container-started, pod/<job>/container-exited, pod/<job>/status-final,
 *   pod/<job>/task-started and pod/<job>/task-done (the runner's own log).
 */
export class Recorder {
  readonly #marks = new Map<string, number>();
  readonly #pods = new Map<string, PodIdentity>();
  readonly #informers: Informer<Watched>[];

  constructor(client: KubeClient, namespace: string) {
    const logger = pino({ level: 'warn' }, pino.destination(2));
    const watch = (type: ResourceType, name: string, onObject: (object: Watched) => void): Informer<Watched> => {
      const informer = new Informer<Watched>({ name, sources: [client.listWatch<Watched>(type, { namespace })], logger });
      informer.on((event) => {
        if (event.type !== 'deleted') onObject(event.object);
      });
      return informer;
    };
    this.#informers = [
      watch(JOBS, 'jobs', (job) => this.#job(job)),
      watch(PODS, 'pods', (pod) => this.#pod(pod)),
      watch(RESTORE_REQUESTS, 'restores', (restore) => this.#restore(restore)),
      watch(DR_DRILL_RUNS, 'drill runs', (run) => this.#drillRun(run)),
    ];
  }

  async start(): Promise<void> {
    for (const informer of this.#informers) informer.start();
    await Promise.all(this.#informers.map((informer) => informer.waitForSync()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.#informers.map((informer) => informer.stop()));
  }

  mark(name: string, at = Date.now()): void {
    if (!this.#marks.has(name)) this.#marks.set(name, at);
  }

  at(name: string): number | undefined {
    return this.#marks.get(name);
  }

  /** Seconds from mark `from` to mark `to`; NaN when either is missing. */
  seconds(from: string, to: string): number {
    const a = this.#marks.get(from);
    const b = this.#marks.get(to);
    return a === undefined || b === undefined ? Number.NaN : (b - a) / 1000;
  }

  /** Waits until mark `name` exists (or one of `failures` does: then throws). */
  async waitFor(name: string, failures: string[], timeoutMs: number, what: string): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.#marks.get(name);
      if (at !== undefined) return at;
      const failed = failures.find((failure) => this.#marks.has(failure));
      if (failed) throw new Error(`${what}: ${failed}`);
      if (Date.now() > deadline) throw new Error(`${what}: not done within ${timeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  pod(job: string): PodIdentity | undefined {
    return this.#pods.get(job);
  }

  #job(job: Watched): void {
    const name = job.metadata.name ?? '';
    this.mark(`job/${name}/created`);
    const isTrue = (...types: string[]) => (job.status?.conditions ?? []).some((c) => types.includes(c.type) && c.status === 'True');
    if (isTrue('SuccessCriteriaMet', 'Complete')) this.mark(`job/${name}/done`);
    if (isTrue('FailureTarget', 'Failed')) this.mark(`job/${name}/failed`);
  }

  #pod(pod: Watched): void {
    const job = pod.metadata.labels?.[JOB_NAME_LABEL];
    if (!job) return;
    if (!this.#pods.has(job)) this.#pods.set(job, { name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' });
    this.mark(`pod/${job}/created`);
    if (pod.spec?.nodeName) this.mark(`pod/${job}/bound`);
    const states = (pod.status?.containerStatuses ?? []).map((status) => status.state ?? {});
    if (states.some((state) => state.running || state.terminated)) this.mark(`pod/${job}/running`);
    if (states.length > 0 && states.every((state) => state.terminated)) this.mark(`pod/${job}/terminated`);
  }

  #restore(restore: Watched): void {
    const phase = restore.status?.phase;
    if (phase) this.mark(`restore/${restore.metadata.name}/${phase}`);
  }

  #drillRun(run: Watched): void {
    const name = run.metadata.name ?? '';
    if (run.status?.result) this.mark(`drill/${name}/${run.status.result}`);
    for (const step of run.status?.steps ?? []) if (step.phase) this.mark(`drill/${name}/step/${step.name}/${step.phase}`);
  }

  /**
   * Marks from the process kubelet's log and the runners' logs of these Jobs. Call after the
   * Jobs finished; lines are pino JSON with epoch-ms times.
   */
  readLogs(info: TestEnvInfo, namespace: string, jobs: readonly string[]): void {
    const kubeletLines = jsonLines(join(info.workDir, 'logs/kubelet.log'));
    const kubeletMarks: Record<string, string> = {
      'starting pod': 'kubelet-started',
      'container started': 'container-started',
      'container exited': 'container-exited',
      'pod finished': 'status-final',
    };
    for (const job of jobs) {
      const pod = this.#pods.get(job);
      if (!pod) continue;
      for (const line of kubeletLines) {
        const mark = kubeletMarks[String(line.msg)];
        if (mark && line.pod === `${namespace}/${pod.name}` && line.uid === pod.uid && typeof line.time === 'number') this.mark(`pod/${job}/${mark}`, line.time);
      }
      const runnerLog = join(info.workDir, 'kubelet/logs', `${namespace}_${pod.name}_${pod.uid}`, 'runner/0.log');
      for (const line of jsonLines(runnerLog)) {
        if (typeof line.time !== 'number') continue;
        if (line.msg === 'task started') this.mark(`pod/${job}/task-started`, line.time);
        if (line.msg === 'task succeeded' || line.msg === 'task failed') this.mark(`pod/${job}/task-done`, line.time);
      }
    }
  }
}

function jsonLines(path: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const lines: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    const start = line.indexOf('{');
    if (start < 0) continue;
    try {
      lines.push(JSON.parse(line.slice(start)) as Record<string, unknown>);
    } catch {
      // not a JSON line (a tool's stderr)
    }
  }
  return lines;
}

/** Where one Job's time went, in seconds, from the recorder's marks. */
export interface JobBreakdown {
  job: string;
  /** Job created -> its pod created (Job controller). */
  jobController: number;
  /** Pod created -> bound to the node (scheduler). */
  scheduler: number;
  /** Bound -> container process spawned (process kubelet: volumes, env, spawn). */
  kubelet: number;
  /** Spawned -> the runner's first log line (Node start-up and module loading). */
  runnerStartup: number;
  /** The runner's task, from its own log. */
  task: number;
  /** Task done -> process exited (flushing, exit). */
  runnerExit: number;
  /** Process exited -> pod status Succeeded seen (kubelet's status write). */
  podStatus: number;
  /** Job created -> pod terminated seen: all of the above, what the owner waits for. */
  total: number;
  /**
   * Pod terminated seen -> Job done (SuccessCriteriaMet/Complete) seen: the Job controller
   * batches pod updates, one sync per Job per second. The operator no longer waits for it
   * (a pod that succeeded with the runner's ok result is the Job's success).
   */
  jobCompletion: number;
}

export function jobBreakdown(recorder: Recorder, job: string): JobBreakdown {
  const s = (from: string, to: string) => recorder.seconds(from, to);
  const pod = (mark: string) => `pod/${job}/${mark}`;
  return {
    job,
    jobController: s(`job/${job}/created`, pod('created')),
    scheduler: s(pod('created'), pod('bound')),
    kubelet: s(pod('bound'), pod('container-started')),
    runnerStartup: s(pod('container-started'), pod('task-started')),
    task: s(pod('task-started'), pod('task-done')),
    runnerExit: s(pod('task-done'), pod('container-exited')),
    podStatus: s(pod('container-exited'), pod('terminated')),
    total: s(`job/${job}/created`, pod('terminated')),
    jobCompletion: s(pod('terminated'), `job/${job}/done`),
  };
}

/** Summed over Jobs: what is the test environment's (Kubernetes and the process kubelet), what the runner's. */
export function sumBreakdowns(breakdowns: readonly JobBreakdown[]): Omit<JobBreakdown, 'job'> {
  const sum = (pick: (b: JobBreakdown) => number) => breakdowns.reduce((total, b) => total + pick(b), 0);
  return {
    jobController: sum((b) => b.jobController),
    scheduler: sum((b) => b.scheduler),
    kubelet: sum((b) => b.kubelet),
    runnerStartup: sum((b) => b.runnerStartup),
    task: sum((b) => b.task),
    runnerExit: sum((b) => b.runnerExit),
    podStatus: sum((b) => b.podStatus),
    total: sum((b) => b.total),
    jobCompletion: sum((b) => b.jobCompletion),
  };
}
