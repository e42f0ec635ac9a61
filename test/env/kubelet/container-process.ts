// One container instance as a local process. Each runs in its own session and process group
// (detached), so signals reach everything it starts (the children of `sh -c` too), and when the
// main process exits the rest of its group is killed, as a container's PID namespace would be.
// stdout and stderr go straight to the log file through an inherited descriptor: no pipes,
// nothing to pump, and output written right before a crash is never lost.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { constants } from 'node:os';

export interface ProcessSpec {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly uid?: number;
  readonly gid?: number;
  readonly logFile: string;
}

export interface ProcessExit {
  readonly exitCode: number;
  readonly signal: NodeJS.Signals | null;
}

export type SpawnResult =
  | { readonly started: true; readonly process: ContainerProcess }
  | { readonly started: false; readonly message: string };

export interface ContainerProcess {
  readonly pid: number;
  readonly exited: Promise<ProcessExit>;
  /**
   * SIGTERM the group now (once), SIGKILL it after graceMs. Calling again with a shorter
   * grace brings the SIGKILL forward (a pod deletion overtaken by a kubelet shutdown).
   */
  terminate(graceMs: number): Promise<ProcessExit>;
}

export async function spawnContainerProcess(spec: ProcessSpec): Promise<SpawnResult> {
  const [file, ...args] = spec.argv;
  if (!file) return { started: false, message: 'no command to run' };
  const logFd = openSync(spec.logFile, 'a');
  let child;
  try {
    child = spawn(file, args, {
      env: spec.env,
      cwd: spec.cwd,
      uid: spec.uid,
      gid: spec.gid,
      detached: true,
      stdio: ['ignore', logFd, logFd],
    });
  } catch (error) {
    return { started: false, message: `exec: ${JSON.stringify(file)}: ${(error as Error).message}` };
  } finally {
    closeSync(logFd);
  }
  const spawned = child;
  const started = await new Promise<string | undefined>((resolve) => {
    spawned.once('spawn', () => resolve(undefined));
    spawned.once('error', (error) => resolve(`exec: ${JSON.stringify(file)}: ${error.message}`));
  });
  if (started !== undefined || spawned.pid === undefined) {
    return { started: false, message: started ?? `exec: ${JSON.stringify(file)}: no pid` };
  }
  const pid = spawned.pid;
  const exited = new Promise<ProcessExit>((resolve) => {
    spawned.once('exit', (code, signal) => {
      signalGroup(pid, 'SIGKILL');
      resolve({ exitCode: code ?? 128 + (signal ? constants.signals[signal] : 0), signal });
    });
  });

  let terminated = false;
  let killAt = Number.POSITIVE_INFINITY;
  let killTimer: NodeJS.Timeout | undefined;
  void exited.then(() => clearTimeout(killTimer));
  const terminate = (graceMs: number) => {
    if (!terminated) {
      terminated = true;
      signalGroup(pid, 'SIGTERM');
    }
    const at = Date.now() + Math.max(0, graceMs);
    if (at < killAt) {
      killAt = at;
      clearTimeout(killTimer);
      killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), Math.max(0, graceMs));
    }
    return exited;
  };
  return { started: true, process: { pid, exited, terminate } };
}

/** Signals a whole process group; a group that is already gone is fine. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
