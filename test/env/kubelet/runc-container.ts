// One container instance run by runc. `runc run` in the foreground (not create/start): runc
// stays the parent of the container's init and exits with its status (128+n after signal n,
// so 137 after SIGKILL), which is the only way to learn an exit code without a subreaper or a
// shim; the container's stdout and stderr are runc's own, a descriptor on the log file, as in
// process mode. runc's own errors go to a JSON log in the bundle, so a container that could not
// start (an argv[0] that does not exist) is told apart from one that ran and failed.
//
// The root file system is an overlay runc mounts in the container's mount namespace
// (runc-spec.ts): the image's unpacked tree below, a fresh upper dir per instance above (a
// restarted container starts from its image again, as with a real runtime). With
// readOnlyRootFilesystem runc remounts it read-only; runc creates mount points in the upper
// dir, never in the image.
import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ContainerExit, RunningContainer, StartResult } from './container-runtime.ts';
import type { RuncLaunch } from './runc-launch.ts';
import { runcConfig } from './runc-spec.ts';

const run = promisify(execFile);

export interface RuncRuntime {
  /** runc's state directory (`runc --root`), under the kubelet's work dir. */
  readonly stateRoot: string;
}

export async function startRuncContainer(runtime: RuncRuntime, launch: RuncLaunch): Promise<StartResult> {
  const { bundle, id } = launch;
  const runcLog = join(bundle, 'runc.log');
  try {
    // The previous instance's upper dir goes: every instance starts from the image.
    await rm(bundle, { recursive: true, force: true });
    for (const dir of ['rootfs', 'upper', 'work']) await mkdir(join(bundle, dir), { recursive: true });
    await writeFile(join(bundle, 'config.json'), JSON.stringify(runcConfig(launch.spec)));
  } catch (error) {
    return { started: false, message: `preparing the bundle: ${(error as Error).message}` };
  }

  const logFd = openSync(launch.logFile, 'a');
  let child;
  try {
    child = spawn('runc', ['--root', runtime.stateRoot, '--log', runcLog, '--log-format', 'json', 'run', '--bundle', bundle, id], {
      detached: true,
      stdio: ['ignore', logFd, logFd],
    });
  } finally {
    closeSync(logFd);
  }
  const spawned = child;
  const spawnError = await new Promise<string | undefined>((resolve) => {
    spawned.once('spawn', () => resolve(undefined));
    spawned.once('error', (error) => resolve(`runc: ${error.message}`));
  });
  if (spawnError !== undefined) return { started: false, message: spawnError };

  const exited = new Promise<ContainerExit>((resolve) => {
    spawned.once('exit', (code, signal) => {
      void (async () => {
        const exitCode = code ?? 128;
        const startError = exitCode === 0 ? undefined : await startFailure(runcLog);
        // runc run deletes its container when it ends; one killed itself leaves it behind.
        if (code === null) await run('runc', ['--root', runtime.stateRoot, 'delete', '--force', id]).catch(() => undefined);
        resolve({ exitCode, signal, ...(startError ? { startError } : {}) });
      })();
    });
  });

  let done = false;
  void exited.then(() => {
    done = true;
  });
  /**
   * `runc kill` fails while the container is still being created; try again until it exists
   * or has ended.
   */
  const kill = async (signal: 'TERM' | 'KILL') => {
    for (let attempt = 0; attempt < 50 && !done; attempt++) {
      try {
        await run('runc', ['--root', runtime.stateRoot, 'kill', id, signal]);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  let terminated = false;
  let killAt = Number.POSITIVE_INFINITY;
  let killTimer: NodeJS.Timeout | undefined;
  void exited.then(() => clearTimeout(killTimer));
  const terminate = (graceMs: number) => {
    if (!terminated) {
      terminated = true;
      void kill('TERM');
    }
    const at = Date.now() + Math.max(0, graceMs);
    if (at < killAt) {
      killAt = at;
      clearTimeout(killTimer);
      killTimer = setTimeout(() => void kill('KILL'), Math.max(0, graceMs));
    }
    return exited;
  };
  const container: RunningContainer = { containerID: `runc://${id}`, exited, terminate };
  return { started: true, container };
}

/** runc's error when the container never ran its process, from runc's JSON log. */
async function startFailure(runcLog: string): Promise<string | undefined> {
  const text = await readFile(runcLog, 'utf8').catch(() => '');
  for (const line of text.split('\n').reverse()) {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if (entry.level === 'error' && entry.msg) return entry.msg;
    } catch {
      // not a JSON line
    }
  }
  return undefined;
}
