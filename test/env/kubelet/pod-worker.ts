// Runs one pod (one UID) from start to end: volumes, init containers in order, then the
// containers in parallel with their restart policy, until the pod completes, exceeds its
// activeDeadlineSeconds, or is deleted. A worker exists once per UID and a pod it finished
// is never run again; a pod already Succeeded/Failed when first seen is only cleaned up.
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { initialRecord } from './adoption.ts';
import type { ConfigSource } from './config-source.ts';
import { ContainerStartBlocked } from './container-errors.ts';
import { type Launch, type RunningContainer, startContainer } from './container-runtime.ts';
import type { NodeAllocatable } from './downward-api.ts';
import type { KubeApi } from './kube-api.ts';
import { type PodPaths, podPaths } from './pod-paths.ts';
import { type ContainerRecord, containerStatusUnknown, type PodRecord, type Terminated } from './pod-record.ts';
import { buildPodStatus, restartPolicyOf } from './pod-status.ts';
import { PodStatusWriter } from './status-writer.ts';
import { terminationMessage } from './termination-message.ts';
import { type KubeletTiming, restartBackoffMs } from './timing.ts';
import { prepareContainer, type RuncImages } from './launch-mode.ts';
import type { RuncRuntime } from './runc-container.ts';
import { materializeVolumes } from './volumes.ts';
import { runnerResultAtOnce } from './runner-result-at-once.ts';

export interface PodWorkerDeps {
  readonly api: KubeApi;
  readonly log: Logger;
  readonly workDir: string;
  readonly imagesFile: string | undefined;
  /** Set in runc mode: images in the store run with runc. */
  readonly runcImages: RuncImages | undefined;
  readonly runc: RuncRuntime | undefined;
  readonly allocatable: NodeAllocatable;
  readonly baseVariables: ReadonlyMap<string, string>;
  readonly kubeletIsRoot: boolean;
  readonly timing: KubeletTiming;
  /**
   * Fast mode: a runner container whose task has a known successful result ends at once with
   * it, unrun (runner-result-at-once.ts), for benchmarks of the operator at scale.
   */
  readonly completeRunnerPods?: boolean;
  now(): Date;
}

/** A container's log as the log server needs it. */
export interface ContainerLog {
  readonly file: string;
  /** True while the instance writing this file runs (for `follow`). */
  live(): boolean;
}

/**
 * deadline/deleted (and failed: a bug in this kubelet) end the pod with a final status;
 * gone/shutdown abandon it silently.
 */
type StopReason = 'deadline' | 'deleted' | 'failed';
type AbandonReason = 'gone' | 'shutdown';

const deadlineMessage = 'Pod was active on the node longer than the specified deadline';

export class PodWorker {
  readonly uid: string;
  readonly #deps: PodWorkerDeps;
  readonly #log: Logger;
  readonly #paths: PodPaths;
  readonly #record: PodRecord;
  readonly #status: PodStatusWriter;
  readonly #source: ConfigSource;
  readonly #abort = new AbortController();
  readonly #containers = new Map<string, RunningContainer>();
  readonly #done: Promise<void>;
  #pod: V1Pod;
  #volumeDirs = new Map<string, string>();
  #stopReason: StopReason | undefined;
  #abandoned: AbandonReason | undefined;
  #killGraceMs = 0;
  #deadlineTimer: NodeJS.Timeout | undefined;
  #deletion: Promise<void> | undefined;
  #finalStatusWritten = false;

  constructor(pod: V1Pod, deps: PodWorkerDeps) {
    this.#pod = pod;
    this.#deps = deps;
    this.uid = pod.metadata?.uid ?? '';
    this.#log = deps.log.child({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, uid: this.uid });
    this.#paths = podPaths(deps.workDir, pod);
    this.#record = initialRecord(pod, deps.now());
    this.#source = deps.api.configSource();
    this.#status = new PodStatusWriter({
      build: (previous) => buildPodStatus(this.#pod, this.#record, deps.now(), previous?.conditions),
      send: (status) => deps.api.patchPodStatus(this.#pod, status),
      log: this.#log,
      retryMs: deps.timing.statusRetryMs,
    });
    this.#done = this.#run();
  }

  get namespace(): string {
    return this.#pod.metadata?.namespace ?? '';
  }

  get name(): string {
    return this.#pod.metadata?.name ?? '';
  }

  /** A newer version of the pod from the API. */
  update(pod: V1Pod): void {
    this.#pod = pod;
    if (pod.metadata?.deletionTimestamp) {
      // The final status goes first; #run deletes the pod once it is written.
      if (this.#finalStatusWritten && this.#abandoned === undefined) void this.#deleteFromApi();
      else this.#stop('deleted');
    }
    this.#armDeadline();
  }

  /** The pod is gone from the API (or a relist no longer shows it): kill, clean up, forget. */
  async remove(): Promise<void> {
    this.#abandon('gone');
    await this.#done;
    await rm(this.#paths.root, { recursive: true, force: true }).catch(() => undefined);
  }

  /** The kubelet stops: kill the processes, write nothing. */
  async shutdown(): Promise<void> {
    this.#abandon('shutdown');
    await this.#done;
    await this.#deletion?.catch(() => undefined);
  }

  containerLog(containerName: string, previous: boolean): ContainerLog | undefined {
    const record = [...this.#record.initContainers, ...this.#record.containers].find((c) => c.name === containerName);
    if (!record) return undefined;
    const instance = previous ? record.restartCount - 1 : record.restartCount;
    if (instance < 0) return undefined;
    return {
      file: this.#paths.log(containerName, instance),
      live: () => record.state.kind === 'running' && record.restartCount === instance,
    };
  }

  async #run(): Promise<void> {
    if (!this.#record.terminal && this.#completedAtOnce()) {
      // One status write, the final one: the pod is seen Pending, then Succeeded.
      this.#finish();
      await this.#status.flush();
      this.#log.info({ phase: this.#status.lastWritten?.phase }, 'pod finished at once');
    } else if (!this.#record.terminal) {
      this.#log.info('starting pod');
      this.#status.request();
      this.#armDeadline();
      try {
        await this.#runPod();
      } catch (error) {
        if (!this.#abort.signal.aborted) {
          this.#log.error({ err: error }, 'running the pod failed');
          this.#record.failure = { reason: 'ProcessKubeletError', message: (error as Error).message };
          this.#stopReason = 'failed';
        }
      }
      clearTimeout(this.#deadlineTimer);
      await Promise.all([...this.#containers.values()].map((c) => c.exited));
      if (this.#abandoned) return;
      this.#finish();
      await this.#status.flush();
      this.#log.info({ phase: this.#status.lastWritten?.phase, reason: this.#stopReason }, 'pod finished');
    }
    this.#finalStatusWritten = true;
    if (this.#pod.metadata?.deletionTimestamp && !this.#abandoned) await this.#deleteFromApi();
  }

  async #runPod(): Promise<void> {
    await this.#prepareSandbox();
    const spec = this.#pod.spec;
    for (const [index, container] of (spec?.initContainers ?? []).entries()) {
      const record = this.#record.initContainers[index];
      if (!record || !(await this.#runToCompletion(container, record, 'init'))) return;
    }
    await Promise.all(
      (spec?.containers ?? []).map((container, index) => {
        const record = this.#record.containers[index];
        return record ? this.#runToCompletion(container, record, 'regular') : Promise.resolve(false);
      }),
    );
  }

  async #prepareSandbox(): Promise<void> {
    for (;;) {
      try {
        this.#volumeDirs = await materializeVolumes(
          this.#pod,
          this.#paths,
          {
            pod: this.#pod,
            source: this.#source,
            allocatable: this.#deps.allocatable,
            requestToken: (request) => this.#deps.api.requestToken(this.#pod, request),
          },
          this.#deps.kubeletIsRoot,
        );
        this.#record.sandboxReady = true;
        this.#status.request();
        return;
      } catch (error) {
        this.#abort.signal.throwIfAborted();
        const message = (error as Error).message;
        this.#log.info({ message }, 'volumes not ready; retrying');
        for (const record of [...this.#record.initContainers, ...this.#record.containers]) {
          if (record.state.kind === 'waiting') record.state = { kind: 'waiting', reason: 'ContainerCreating', message };
        }
        this.#status.request();
        await sleep(this.#deps.timing.configRetryMs, undefined, { signal: this.#abort.signal });
      }
    }
  }

  /** Runs a container, restarting it as its restart policy says. True when it ended with exit 0. */
  async #runToCompletion(container: V1Container, record: ContainerRecord, kind: 'init' | 'regular'): Promise<boolean> {
    const policy = restartPolicyOf(this.#pod);
    for (;;) {
      if (this.#abort.signal.aborted) return false;
      if (record.state.kind === 'terminated') {
        const exitCode = record.state.exitCode;
        const restart = kind === 'init' ? policy !== 'Never' && exitCode !== 0 : policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
        if (!restart) return exitCode === 0;
        if (!(await this.#backOff(container, record))) return false;
      }
      const exitCode = await this.#runOnce(container, record);
      if (exitCode === undefined) return false;
    }
  }

  /** CrashLoopBackOff before a restart. False when the pod was stopped meanwhile. */
  async #backOff(container: V1Container, record: ContainerRecord): Promise<boolean> {
    const finished = record.state as Terminated;
    const earlier = record.lastTerminated;
    const delayMs = restartBackoffMs(this.#deps.timing, record.restartCount);
    const { name = '', namespace = '' } = this.#pod.metadata ?? {};
    record.lastTerminated = finished;
    record.state = {
      kind: 'waiting',
      reason: 'CrashLoopBackOff',
      message: `back-off ${Math.round(delayMs / 1000)}s restarting failed container=${container.name} pod=${name}_${namespace}(${this.uid})`,
    };
    this.#status.request();
    try {
      await sleep(delayMs, undefined, { signal: this.#abort.signal });
    } catch {
      // Stopped while waiting: the container stays as it ended.
      record.state = finished;
      if (earlier) record.lastTerminated = earlier;
      else delete record.lastTerminated;
      return false;
    }
    record.restartCount++;
    return true;
  }

  /** Starts one instance and waits for it. Undefined when the pod was stopped before it started. */
  async #runOnce(container: V1Container, record: ContainerRecord): Promise<number | undefined> {
    const launch = await this.#prepareWithRetries(container, record);
    if (!launch || this.#abort.signal.aborted) return undefined;

    const startingAt = Date.now();
    const result = await startContainer(launch, this.#deps.runc, this.#paths.pidFile(container.name));
    const startedAt = this.#deps.now();
    if (!result.started) return this.#startFailed(container, record, result.message, startedAt);
    const running = result.container;
    this.#containers.set(container.name, running);
    if (this.#abort.signal.aborted) void running.terminate(this.#killGraceMs);
    record.state = { kind: 'running', startedAt, containerID: running.containerID };
    this.#log.info(
      { container: container.name, mode: launch.kind, containerID: running.containerID, ...launchSummary(launch), startMs: Date.now() - startingAt },
      'container started',
    );
    this.#status.request();

    const exit = await running.exited;
    this.#containers.delete(container.name);
    if (exit.startError !== undefined) return this.#startFailed(container, record, exit.startError, startedAt);
    const message = await terminationMessage({
      messageFile: launch.terminationMessageFile,
      logFile: launch.logFile,
      policy: container.terminationMessagePolicy,
      exitCode: exit.exitCode,
    });
    record.state = {
      kind: 'terminated',
      exitCode: exit.exitCode,
      reason: exit.exitCode === 0 ? 'Completed' : 'Error',
      ...(message ? { message } : {}),
      startedAt,
      finishedAt: this.#deps.now(),
      containerID: running.containerID,
    };
    this.#log.info({ container: container.name, mode: launch.kind, exitCode: exit.exitCode, signal: exit.signal }, 'container exited');
    this.#status.request();
    return exit.exitCode;
  }

  /** The runtime could not start the process (no such executable): StartError, exit 128. */
  #startFailed(container: V1Container, record: ContainerRecord, message: string, at: Date): number {
    this.#log.warn({ container: container.name, message }, 'container failed to start');
    record.state = { kind: 'terminated', exitCode: 128, reason: 'StartError', message, finishedAt: at };
    this.#status.request();
    return 128;
  }

  /** Resolves the launch, keeping the container waiting (and retrying) while it is blocked. */
  async #prepareWithRetries(container: V1Container, record: ContainerRecord): Promise<Launch | undefined> {
    for (;;) {
      if (this.#abort.signal.aborted) return undefined;
      try {
        return await prepareContainer(
          {
            pod: this.#pod,
            paths: this.#paths,
            volumeDirs: this.#volumeDirs,
            source: this.#source,
            allocatable: this.#deps.allocatable,
            baseVariables: this.#deps.baseVariables,
            imagesFile: this.#deps.imagesFile,
            kubeletIsRoot: this.#deps.kubeletIsRoot,
            hostPath: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
            onFallback: (why) => this.#log.warn({ container: container.name, why }, 'image tag not in the store: running the container as a process'),
          },
          this.#deps.runcImages,
          container,
          record.restartCount,
        );
      } catch (error) {
        const blocked =
          error instanceof ContainerStartBlocked
            ? error
            : new ContainerStartBlocked('CreateContainerError', (error as Error).message);
        const state = record.state;
        if (state.kind !== 'waiting' || state.reason !== blocked.reason || state.message !== blocked.message) {
          this.#log.info({ container: container.name, reason: blocked.reason, message: blocked.message }, 'container blocked');
          record.state = { kind: 'waiting', reason: blocked.reason, message: blocked.message };
          this.#status.request();
        }
        try {
          await sleep(this.#deps.timing.configRetryMs, undefined, { signal: this.#abort.signal });
        } catch {
          return undefined;
        }
      }
    }
  }

  /** Fast mode: every container (and no init container) has its result at once; they are recorded as exited 0. */
  #completedAtOnce(): boolean {
    if (!this.#deps.completeRunnerPods || this.#pod.metadata?.deletionTimestamp || (this.#pod.spec?.initContainers ?? []).length > 0) return false;
    const now = this.#deps.now();
    const containers = this.#pod.spec?.containers ?? [];
    const messages = containers.map((container) => runnerResultAtOnce(container, now));
    if (containers.length === 0 || messages.some((message) => message === undefined)) return false;
    this.#record.sandboxReady = true;
    for (const [index, record] of this.#record.containers.entries()) {
      const message = messages[index];
      record.state = { kind: 'terminated', exitCode: 0, reason: 'Completed', ...(message ? { message } : {}), startedAt: now, finishedAt: now, containerID: `fast://${this.uid}-${record.name}` };
    }
    return true;
  }

  /** The pod will not run anything again: record how it ended. */
  #finish(): void {
    this.#record.terminal = true;
    if (!this.#stopReason) return;
    const now = this.#deps.now();
    for (const record of [...this.#record.initContainers, ...this.#record.containers]) {
      if (record.state.kind !== 'terminated') record.state = containerStatusUnknown(now, record.state);
    }
  }

  #stop(reason: StopReason): void {
    if (this.#stopReason || this.#abandoned || this.#record.terminal) return;
    this.#stopReason = reason;
    this.#log.info({ reason }, 'stopping pod');
    // Failed from now on, so no status written while the processes die shows Failed without its reason.
    if (reason === 'deadline') this.#record.failure = { reason: 'DeadlineExceeded', message: deadlineMessage };
    this.#killAll(this.#gracePeriodMs(reason === 'deleted'));
  }

  #abandon(reason: AbandonReason): void {
    if (this.#abandoned) return;
    this.#abandoned = reason;
    this.#status.close();
    clearTimeout(this.#deadlineTimer);
    this.#killAll(Math.min(this.#deps.timing.shutdownGraceMs, this.#gracePeriodMs(false)));
  }

  #killAll(graceMs: number): void {
    this.#killGraceMs = graceMs;
    this.#abort.abort();
    for (const container of this.#containers.values()) void container.terminate(graceMs);
  }

  #gracePeriodMs(forDeletion: boolean): number {
    const metadataGrace = forDeletion ? this.#pod.metadata?.deletionGracePeriodSeconds : undefined;
    const seconds = metadataGrace ?? this.#pod.spec?.terminationGracePeriodSeconds ?? 30;
    return Math.min(seconds, this.#deps.timing.maxGracePeriodSeconds) * 1000;
  }

  #armDeadline(): void {
    clearTimeout(this.#deadlineTimer);
    const seconds = this.#pod.spec?.activeDeadlineSeconds;
    if (seconds === undefined || this.#record.terminal || this.#stopReason || this.#abandoned) return;
    const dueMs = this.#record.startTime.getTime() + seconds * 1000 - this.#deps.now().getTime();
    this.#deadlineTimer = setTimeout(() => this.#stop('deadline'), Math.max(0, dueMs));
    this.#deadlineTimer.unref();
  }

  /** Once the final status is written, the kubelet removes the pod (grace 0), once. */
  #deleteFromApi(): Promise<void> {
    this.#deletion ??= this.#deps.api.deletePod(this.#pod).then(
      () => this.#log.info('pod deleted from the API'),
      (error: unknown) => {
        this.#log.warn({ err: error }, 'deleting the pod failed; will retry on the next update');
        this.#deletion = undefined;
      },
    );
    return this.#deletion;
  }
}

/** What the kubelet log says a container runs: the host argv[0], or the image and its digest. */
function launchSummary(launch: Launch): Record<string, string | undefined> {
  return launch.kind === 'process'
    ? { argv0: launch.process.argv[0] }
    : { image: `${launch.image.name}:${launch.image.tag}`, digest: launch.image.digest, argv0: launch.spec.args[0] };
}
