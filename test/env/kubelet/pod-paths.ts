// Where a pod lives on this machine. Volumes and per-container files sit under
// <workDir>/pods/<uid>; logs follow the real kubelet's /var/log/pods layout under
// <workDir>/logs/<namespace>_<name>_<uid>/<container>/<restartCount>.log.
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';

export interface PodPaths {
  readonly root: string;
  readonly logs: string;
  volume(name: string): string;
  container(name: string): string;
  terminationMessage(container: string): string;
  home(container: string): string;
  pidFile(container: string): string;
  /** A runc container's bundle: config.json, its overlay's rootfs, upper and work dirs. */
  bundle(container: string): string;
  /** The pod's generated /etc/hosts, /etc/hostname and /etc/resolv.conf (runc mode). */
  etcFile(name: 'hosts' | 'hostname' | 'resolv.conf'): string;
  log(container: string, restartCount: number): string;
}

export function podPaths(workDir: string, pod: V1Pod): PodPaths {
  const { uid = 'unknown', namespace = 'default', name = 'unknown' } = pod.metadata ?? {};
  const root = join(workDir, 'pods', uid);
  const logs = join(workDir, 'logs', `${namespace}_${name}_${uid}`);
  const container = (c: string) => join(root, 'containers', c);
  return {
    root,
    logs,
    volume: (v) => join(root, 'volumes', v),
    container,
    terminationMessage: (c) => join(container(c), 'termination-log'),
    home: (c) => join(container(c), 'home'),
    pidFile: (c) => join(container(c), 'pid'),
    bundle: (c) => join(container(c), 'bundle'),
    etcFile: (name) => join(root, 'etc', name),
    log: (c, restartCount) => join(logs, c, `${restartCount}.log`),
  };
}
