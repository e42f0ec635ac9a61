// What the pod worker holds of a running container instance, whichever way it runs: a host
// process (container-process.ts) or a runc container (runc-container.ts). The container ID
// says which: `process://<pid>` or `runc://<id>`.
import { type ContainerProcess, spawnContainerProcess } from './container-process.ts';
import type { ProcessLaunch } from './container-launch.ts';
import { forgetPid, recordPid } from './orphans.ts';
import type { RuncLaunch } from './runc-launch.ts';
import { type RuncRuntime, startRuncContainer } from './runc-container.ts';

export type Launch = ProcessLaunch | RuncLaunch;

export interface ContainerExit {
  readonly exitCode: number;
  readonly signal: NodeJS.Signals | null;
  /** Set when the runtime never started the container's process (exec failed): StartError. */
  readonly startError?: string;
}

export interface RunningContainer {
  readonly containerID: string;
  readonly exited: Promise<ContainerExit>;
  /**
   * SIGTERM now (once), SIGKILL after graceMs. Calling again with a shorter grace brings the
   * SIGKILL forward (a pod deletion overtaken by a kubelet shutdown).
   */
  terminate(graceMs: number): Promise<ContainerExit>;
}

export type StartResult =
  | { readonly started: true; readonly container: RunningContainer }
  | { readonly started: false; readonly message: string };

export async function startContainer(launch: Launch, runc: RuncRuntime | undefined, pidFile: string): Promise<StartResult> {
  if (launch.kind === 'runc') {
    if (!runc) return { started: false, message: 'runc mode is off in this kubelet' };
    return startRuncContainer(runc, launch);
  }
  const result = await spawnContainerProcess(launch.process);
  if (!result.started) return result;
  return { started: true, container: await trackedProcess(result.process, pidFile) };
}

/** A process container whose pid is on file while it runs, for the next kubelet's orphan sweep. */
async function trackedProcess(process: ContainerProcess, pidFile: string): Promise<RunningContainer> {
  await recordPid(pidFile, process.pid).catch(() => undefined);
  const exited = process.exited.then(async (exit) => {
    await forgetPid(pidFile).catch(() => undefined);
    return exit;
  });
  return {
    containerID: `process://${process.pid}`,
    exited,
    terminate: async (graceMs) => {
      await process.terminate(graceMs);
      return exited;
    },
  };
}
