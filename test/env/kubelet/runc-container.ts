// One container instance run by runc. `runc run` in the foreground (not create/start): runc
// stays the parent of the container's init and exits with its status (128+n after signal n,
// so 137 after SIGKILL), which is the only way to learn an exit code without a subreaper or a
// shim; the container's stdout and stderr are runc's own, a descriptor on the log file, as in
// process mode. runc's own errors go to a JSON log in the bundle, so a container that could not
// start (an argv[0] that does not exist) is told apart from one that ran and failed.
//
// The root file system is an overlay: the image's unpacked tree below, a fresh upper dir per
// instance above (a restarted container starts from its image again, as with a real runtime),
// mounted before runc runs and unmounted after it ends. With readOnlyRootFilesystem runc
// remounts it read-only; runc still creates mount points in the upper dir, never in the image.
// Where overlayfs cannot be mounted the image is copied instead.
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
  const rootfs = join(bundle, 'rootfs');
  const runcLog = join(bundle, 'runc.log');
  try {
    await rm(bundle, { recursive: true, force: true });
    await mkdir(rootfs, { recursive: true });
    await mountRootfs(launch.lowerDir, bundle, rootfs);
    await writeFile(join(bundle, 'config.json'), JSON.stringify(runcConfig(launch.spec)));
  } catch (error) {
    await unmountRootfs(rootfs);
    return { started: false, message: `preparing the root file system: ${(error as Error).message}` };
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
  if (spawnError !== undefined) {
    await unmountRootfs(rootfs);
    return { started: false, message: spawnError };
  }

  const exited = new Promise<ContainerExit>((resolve) => {
    spawned.once('exit', (code, signal) => {
      void (async () => {
        const exitCode = code ?? 128;
        const startError = exitCode === 0 ? undefined : await startFailure(runcLog);
        // runc run deletes its container when it ends; one killed itself leaves it behind.
        if (code === null) await run('runc', ['--root', runtime.stateRoot, 'delete', '--force', id]).catch(() => undefined);
        await unmountRootfs(rootfs);
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

async function mountRootfs(lowerDir: string, bundle: string, rootfs: string): Promise<void> {
  const upper = join(bundle, 'upper');
  const work = join(bundle, 'work');
  await mkdir(upper);
  await mkdir(work);
  try {
    await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lowerDir},upperdir=${upper},workdir=${work}`, rootfs]);
  } catch {
    await run('cp', ['-a', `${lowerDir}/.`, rootfs]);
  }
}

/** Unmounts the overlay if it is mounted (lazily: nothing in it may hold it any more). */
export async function unmountRootfs(rootfs: string): Promise<void> {
  await run('umount', ['-l', rootfs]).catch(() => undefined);
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
