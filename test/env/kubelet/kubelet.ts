// The process kubelet: a stand-in for the real kubelet in the test environment, where there is
// no container runtime daemon. It registers a Node, watches the pods bound to it and runs each
// container (see pod-worker.ts) from its image with runc when the image is in the image store
// (runc mode), else as a local process, and serves their logs. Everything else in the chain
// (API server, scheduler, controllers) is the real thing.
import { chmod, mkdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { type Logger, pino } from 'pino';
import { ImageRootfsCache } from './image-rootfs.ts';
import { KubeApi } from './kube-api.ts';
import type { RuncImages } from './launch-mode.ts';
import { startLogServer } from './log-server.ts';
import { startNodeAgent } from './node-agent.ts';
import { nodeAllocatable } from './node-object.ts';
import { killOrphans } from './orphans.ts';
import { startPodSource } from './pod-source.ts';
import { PodWorkers } from './pod-workers.ts';
import type { RuncRuntime } from './runc-container.ts';
import { removeRuncOrphans } from './runc-orphans.ts';
import { describeMode, detectMode } from './runtime-mode.ts';
import { readSystemInfo } from './system-info.ts';
import { defaultTiming, type KubeletTiming } from './timing.ts';
import { servingCertificate } from './tls.ts';

export interface KubeletOptions {
  readonly kubeconfig: string;
  readonly nodeName: string;
  /** Pod volumes, logs, pid files and the serving certificate live here. */
  readonly workDir: string;
  /** JSON `{ "<image name>": ["/abs/entrypoint", "arg", ...] }` for containers without a command. */
  readonly imagesFile?: string;
  /**
   * A directory of OCI image layouts by name (build/images): turns on runc mode when runc can
   * run here (runtime-mode.ts).
   */
  readonly imageStore?: string;
  /**
   * Where images are unpacked, by digest (default <workDir>/images). Kubelets of one test
   * environment share one, so an image of hundreds of MB is unpacked and removed once.
   */
  readonly imageCache?: string;
  readonly logger?: Logger;
  /** Port for the log server; 0 or absent picks a free one. */
  readonly logPort?: number;
  readonly timing?: Partial<KubeletTiming>;
  readonly registerTimeoutMs?: number;
  /**
   * Register the Node cordoned, so the scheduler places nothing on it: for a second kubelet
   * in tests, which pins its pods with spec.nodeName.
   */
  readonly unschedulable?: boolean;
  /**
   * Fast mode, for benchmarks of the operator at scale: runner pods end at once with the result
   * a successful runner reports, unrun (runner-result-at-once.ts). Off unless asked for.
   */
  readonly completeRunnerPods?: boolean;
}

export interface Kubelet {
  /** The log server's port (node.status.daemonEndpoints.kubeletEndpoint.Port). */
  readonly logPort: number;
  /** Kills every container process, stops watches, timers and the log server. */
  stop(): Promise<void>;
}

export async function startKubelet(options: KubeletOptions): Promise<Kubelet> {
  const log = options.logger ?? pino({ name: 'process-kubelet' }, pino.destination({ dest: 2, sync: true }));
  const timing: KubeletTiming = { ...defaultTiming, ...options.timing };
  const workDir = resolve(options.workDir);
  const kubeletIsRoot = process.getuid?.() === 0;
  await prepareWorkDir(workDir, kubeletIsRoot, log);

  const orphans = await killOrphans(workDir);
  if (orphans.length > 0) log.warn({ pids: orphans }, 'killed container processes left by an earlier kubelet');
  const mode = await detectMode(options.imageStore ? resolve(options.imageStore) : undefined);
  const runc: RuncRuntime = { stateRoot: join(workDir, 'runc') };
  // Swept whatever the mode: an earlier kubelet on this work dir may have run in runc mode.
  const runcOrphans = await removeRuncOrphans(runc.stateRoot);
  if (runcOrphans.length > 0) log.warn({ containers: runcOrphans }, 'removed runc containers left by an earlier kubelet');
  log.info({ mode: mode.kind, ...(mode.kind === 'runc' ? { runc: mode.runcVersion } : {}) }, `kubelet: ${describeMode(mode)}`);
  const runcImages = mode.kind === 'runc' ? { store: mode.store, rootfs: new ImageRootfsCache(resolve(options.imageCache ?? join(workDir, 'images'))) } : undefined;
  if (runcImages) void unpackAll(runcImages, log);

  const config = new KubeConfig();
  config.loadFromFile(options.kubeconfig);
  const api = new KubeApi(config);
  const system = await readSystemInfo();
  const server = api.serverAddress();

  const workers = new PodWorkers({
    api,
    log,
    workDir,
    imagesFile: options.imagesFile ? resolve(options.imagesFile) : undefined,
    runcImages,
    runc: mode.kind === 'runc' ? runc : undefined,
    allocatable: nodeAllocatable(system),
    baseVariables: serviceVariables(server.host, server.port),
    kubeletIsRoot,
    timing,
    completeRunnerPods: options.completeRunnerPods ?? false,
    now: () => new Date(),
  });

  const logServer = await startLogServer({
    tls: await servingCertificate(`${workDir}/tls`, options.nodeName),
    logs: workers,
    log,
    ...(options.logPort !== undefined ? { port: options.logPort } : {}),
  });
  let nodeAgent: { stop(): void };
  try {
    nodeAgent = await startNodeAgent({
      api,
      nodeName: options.nodeName,
      system,
      kubeletPort: logServer.port,
      log,
      timing,
      now: () => new Date(),
      registerTimeoutMs: options.registerTimeoutMs ?? 120_000,
      unschedulable: options.unschedulable ?? false,
      completeRunnerPods: options.completeRunnerPods ?? false,
    });
  } catch (error) {
    await logServer.close();
    throw error;
  }
  const podSource = startPodSource(api, options.nodeName, workers, log, timing);
  log.info({ node: options.nodeName, logPort: logServer.port, workDir, kubeletIsRoot, mode: mode.kind, completeRunnerPods: options.completeRunnerPods ?? false }, 'process kubelet started');

  let stopped: Promise<void> | undefined;
  return {
    logPort: logServer.port,
    stop() {
      stopped ??= (async () => {
        await podSource.stop();
        nodeAgent.stop();
        await workers.shutdown();
        await logServer.close();
        log.info('process kubelet stopped');
      })();
      return stopped;
    },
  };
}

/**
 * Unpacks every image of the store in the background, so that the first pod of an image
 * (the runner's first Job) does not wait for it; a container start awaits the same unpack.
 */
async function unpackAll(images: RuncImages, log: Logger): Promise<void> {
  for (const image of await images.store.list()) {
    const started = Date.now();
    try {
      await images.rootfs.rootfs(await images.store.resolve(image));
      log.info({ image, ms: Date.now() - started }, 'image unpacked');
    } catch (error) {
      log.warn({ image, err: error }, 'unpacking an image failed; its containers will try again');
    }
  }
}

/**
 * What the real kubelet gives every container for the `kubernetes` Service, pointed at the
 * real API server address (the Service's cluster IP does not route here).
 */
function serviceVariables(host: string, port: string): Map<string, string> {
  return new Map([
    ['KUBERNETES_SERVICE_HOST', host],
    ['KUBERNETES_SERVICE_PORT', port],
    ['KUBERNETES_SERVICE_PORT_HTTPS', port],
    ['KUBERNETES_PORT', `tcp://${host}:${port}`],
    [`KUBERNETES_PORT_${port}_TCP`, `tcp://${host}:${port}`],
    [`KUBERNETES_PORT_${port}_TCP_PROTO`, 'tcp'],
    [`KUBERNETES_PORT_${port}_TCP_PORT`, port],
    [`KUBERNETES_PORT_${port}_TCP_ADDR`, host],
  ]);
}

/**
 * Processes started as another user must reach their pod's directories, so the work dir is
 * made traversable (not listable) by others; its parents are only checked.
 */
async function prepareWorkDir(workDir: string, kubeletIsRoot: boolean, log: Logger): Promise<void> {
  await mkdir(workDir, { recursive: true });
  if (!kubeletIsRoot) return;
  const { mode } = await stat(workDir);
  if ((mode & 0o011) !== 0o011) await chmod(workDir, mode | 0o011);
  for (let dir = dirname(workDir); ; dir = dirname(dir)) {
    const info = await stat(dir);
    if ((info.mode & 0o001) === 0) {
      log.warn({ dir }, 'pods with runAsUser cannot reach their files: this parent of the work dir is not traversable by others');
      break;
    }
    if (dir === dirname(dir)) break;
  }
}
