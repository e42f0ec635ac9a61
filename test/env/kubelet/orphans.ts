// Container processes are detached, so a kubelet that dies without stop() leaves them running.
// Each start writes "<pid> <start time>" next to the container; the next kubelet on the same
// work dir kills the groups still running. The start time (from /proc) guards against a
// recycled pid.
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { signalGroup } from './container-process.ts';

export async function recordPid(pidFile: string, pid: number): Promise<void> {
  await writeFile(pidFile, `${pid} ${(await processStartTime(pid)) ?? ''}\n`);
}

export async function forgetPid(pidFile: string): Promise<void> {
  await rm(pidFile, { force: true });
}

/** Returns the pids it killed. */
export async function killOrphans(workDir: string): Promise<number[]> {
  const killed: number[] = [];
  const podsDir = join(workDir, 'pods');
  for (const uid of await listDir(podsDir)) {
    const containersDir = join(podsDir, uid, 'containers');
    for (const container of await listDir(containersDir)) {
      const pidFile = join(containersDir, container, 'pid');
      const recorded = await readFile(pidFile, 'utf8').catch(() => undefined);
      if (recorded === undefined) continue;
      const [pidText, startTime] = recorded.trim().split(' ');
      const pid = Number(pidText);
      if (Number.isInteger(pid) && pid > 1 && startTime && (await processStartTime(pid)) === startTime) {
        signalGroup(pid, 'SIGKILL');
        killed.push(pid);
      }
      await forgetPid(pidFile);
    }
  }
  return killed;
}

async function processStartTime(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return undefined;
  // Field 22; the command name (field 2) may contain spaces, so count from its closing paren.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

async function listDir(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}
