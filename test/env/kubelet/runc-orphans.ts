// runc containers outlive a kubelet that dies without stop(). The kubelet's runc state lives
// under its own work dir (`runc --root <workDir>/runc`), so every container listed there was
// started by an earlier kubelet on this work dir: the next one kills and deletes them all, then
// unmounts the root file systems they left mounted under the work dir.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { unmountRootfs } from './runc-container.ts';

const run = promisify(execFile);

/** Returns the ids of the containers it removed. */
export async function removeRuncOrphans(stateRoot: string, workDir: string): Promise<string[]> {
  const runc = (...args: string[]) => run('runc', ['--root', stateRoot, ...args]);
  const listed = await runc('list', '--format', 'json').catch(() => ({ stdout: 'null' }));
  const containers = (JSON.parse(listed.stdout || 'null') as { id: string }[] | null) ?? [];
  for (const { id } of containers) {
    await runc('kill', id, 'KILL').catch(() => undefined);
    await runc('delete', '--force', id).catch(() => undefined);
  }
  for (const mountPoint of await mountsUnder(workDir)) await unmountRootfs(mountPoint);
  return containers.map((c) => c.id);
}

/** Mount points under dir, deepest first, from /proc/self/mountinfo (octal escapes decoded). */
async function mountsUnder(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  return info
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .map((field) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8))))
    .filter((mountPoint) => mountPoint.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}
