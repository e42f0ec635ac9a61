// Everything needed to run one container instance from its image with runc: the argv
// (Kubernetes' command/args over the image's Entrypoint/Cmd), the environment (image Env,
// then the pod's resolved env), the user, capabilities, and the bind mounts: each volumeMount
// from its volume's host directory, the terminationMessagePath as a FILE bound from the
// per-container host file (as a real kubelet does), and the pod's generated /etc/hosts,
// /etc/hostname and /etc/resolv.conf. No path translation: in a mount namespace the paths
// are real. Throws ContainerStartBlocked when the container cannot start yet.
import { chown, copyFile, mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { configError } from './container-errors.ts';
import { defaultTerminationMessagePath, type LaunchContext } from './container-launch.ts';
import { resolveContainerEnv } from './env.ts';
import { expandVariables, lookupIn } from './expansion.ts';
import type { ImageConfig, StoredImage } from './oci-image.ts';
import type { PodPaths } from './pod-paths.ts';
import { runcUser } from './runc-identity.ts';
import { type BindMount, containerCapabilities, type RuncContainerSpec } from './runc-spec.ts';

/** What containerd puts in PATH when the image sets none. */
const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface RuncLaunch {
  readonly kind: 'runc';
  /** runc's container id: unique per pod, container and instance. */
  readonly id: string;
  /** config.json, the overlay's mount point (rootfs), upper and work dirs, runc's log. */
  readonly bundle: string;
  readonly spec: RuncContainerSpec;
  readonly image: StoredImage;
  readonly logFile: string;
  readonly terminationMessageFile: string;
}

export async function prepareRuncLaunch(
  context: LaunchContext,
  container: V1Container,
  restartCount: number,
  image: StoredImage,
  rootfs: string,
): Promise<RuncLaunch> {
  const { pod, paths } = context;
  const user = await runcUser(pod, container, image.config.User, rootfs);
  const variables = await resolveContainerEnv({
    pod,
    container,
    source: context.source,
    allocatable: context.allocatable,
    baseVariables: context.baseVariables,
  });
  const args = runcArgv(container, image.config, variables);
  const hostname = podHostname(pod);
  const env = containerEnv(image.config.Env ?? [], variables, hostname);

  const terminationMessageFile = paths.terminationMessage(container.name);
  await mkdir(paths.container(container.name), { recursive: true });
  await mkdir(join(paths.logs, container.name), { recursive: true });
  // A fresh, empty termination message for every instance, writable by the container's user.
  await writeFile(terminationMessageFile, '', { mode: 0o666 });
  await chown(terminationMessageFile, user.uid, user.gid);

  const mounts: BindMount[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const volumeDir = context.volumeDirs.get(mount.name);
    if (!volumeDir) throw configError(`volumeMount ${JSON.stringify(mount.name)} names no volume of the pod`);
    if (mount.subPathExpr) throw configError(`volumeMount ${JSON.stringify(mount.name)}: subPathExpr is not supported`);
    const source = mount.subPath ? join(volumeDir, mount.subPath) : volumeDir;
    // A subPath that does not exist yet is created as a directory, as the kubelet does.
    if (mount.subPath && !(await stat(source).catch(() => undefined))) await mkdir(source, { recursive: true });
    mounts.push({ destination: mount.mountPath, source, readOnly: mount.readOnly ?? false });
  }
  const mounted = new Set(mounts.map((m) => m.destination.replace(/\/+$/, '')));
  mounts.push({
    destination: container.terminationMessagePath || defaultTerminationMessagePath,
    source: terminationMessageFile,
    readOnly: false,
  });
  for (const name of ['hosts', 'hostname', 'resolv.conf'] as const) {
    if (!mounted.has(`/etc/${name}`)) mounts.push({ destination: `/etc/${name}`, source: await podEtcFile(paths, name, hostname), readOnly: false });
  }

  const securityContext = container.securityContext ?? {};
  const bundle = paths.bundle(container.name);
  return {
    kind: 'runc',
    id: `${pod.metadata?.uid ?? 'pod'}-${container.name}-${restartCount}`,
    bundle,
    spec: {
      args,
      env,
      cwd: container.workingDir || image.config.WorkingDir || '/',
      user,
      capabilities: containerCapabilities(securityContext.capabilities, securityContext.privileged ?? false),
      noNewPrivileges: securityContext.allowPrivilegeEscalation === false,
      readOnlyRoot: securityContext.readOnlyRootFilesystem ?? false,
      hostname,
      rootfs: { lowerDir: rootfs, upperDir: join(bundle, 'upper'), workDir: join(bundle, 'work') },
      mounts,
    },
    image,
    logFile: paths.log(container.name, restartCount),
    terminationMessageFile,
  };
}

/**
 * Kubernetes' rules: a command replaces the Entrypoint and drops the image's Cmd; args alone
 * replace the Cmd; neither runs the image as built. Only the pod's words get $(VAR) expansion.
 */
export function runcArgv(container: V1Container, image: ImageConfig, variables: ReadonlyMap<string, string>): string[] {
  const lookup = lookupIn(variables);
  const expand = (words: readonly string[]) => words.map((w) => expandVariables(w, lookup));
  const command = container.command ?? [];
  const args = container.args ?? [];
  const argv =
    command.length > 0
      ? [...expand(command), ...expand(args)]
      : [...(image.Entrypoint ?? []), ...(args.length > 0 ? expand(args) : (image.Cmd ?? []))];
  if (argv.length === 0) {
    throw new Error(`container ${JSON.stringify(container.name)} has no command, and its image no Entrypoint or Cmd`);
  }
  return argv;
}

/** Image Env first, then the pod's variables; PATH defaults as containerd's does. */
export function containerEnv(imageEnv: readonly string[], variables: ReadonlyMap<string, string>, hostname: string): string[] {
  const merged = new Map<string, string>();
  for (const entry of imageEnv) {
    const equals = entry.indexOf('=');
    if (equals > 0) merged.set(entry.slice(0, equals), entry.slice(equals + 1));
  }
  if (!merged.has('PATH')) merged.set('PATH', defaultPath);
  merged.set('HOSTNAME', hostname);
  for (const [name, value] of variables) merged.set(name, value);
  return [...merged].map(([name, value]) => `${name}=${value}`);
}

function podHostname(pod: V1Pod): string {
  return (pod.spec?.hostname ?? pod.metadata?.name ?? 'pod').slice(0, 63);
}

/**
 * The pod's /etc files, written once per pod. hosts and resolv.conf are those of a host
 * network pod: the pod's IP is 127.0.0.1 and names resolve as on this machine.
 */
async function podEtcFile(paths: PodPaths, name: 'hosts' | 'hostname' | 'resolv.conf', hostname: string): Promise<string> {
  const file = paths.etcFile(name);
  if (await stat(file).catch(() => undefined)) return file;
  await mkdir(join(paths.root, 'etc'), { recursive: true });
  // Written aside and renamed, so a container of the pod starting meanwhile never binds a half file.
  const partial = `${file}.${process.pid}-${Math.random().toString(36).slice(2)}`;
  if (name === 'resolv.conf') {
    await copyFile('/etc/resolv.conf', partial).catch(() => writeFile(partial, ''));
  } else if (name === 'hostname') {
    await writeFile(partial, `${hostname}\n`);
  } else {
    const hosts = ['# Kubernetes-managed hosts file (host network).', '127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', `127.0.0.1\t${hostname}`, ''];
    await writeFile(partial, hosts.join('\n'));
  }
  await rename(partial, file);
  return file;
}
