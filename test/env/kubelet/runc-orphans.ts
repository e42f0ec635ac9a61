// runc containers outlive a kubelet that dies without stop(). The kubelet's runc state lives
// under its own work dir (`runc --root <workDir>/runc`), so every container listed there was
// started by an earlier kubelet on this work dir: the next one kills and deletes them all.
// Their root file systems were mounted in their own mount namespaces, so nothing is left
// mounted on the host.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Returns the ids of the containers it removed. */
export async function removeRuncOrphans(stateRoot: string): Promise<string[]> {
  const runc = (...args: string[]) => run('runc', ['--root', stateRoot, ...args]);
  const listed = await runc('list', '--format', 'json').catch(() => ({ stdout: 'null' }));
  const containers = (JSON.parse(listed.stdout || 'null') as { id: string }[] | null) ?? [];
  for (const { id } of containers) {
    await runc('kill', id, 'KILL').catch(() => undefined);
    await runc('delete', '--force', id).catch(() => undefined);
  }
  return containers.map((c) => c.id);
}
