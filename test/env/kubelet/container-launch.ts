// Everything needed to start one container instance as a host process (process mode):
// identity, environment, argv, working directory and the host files behind its mounts,
// resolved and translated (path-translation.ts).
// Throws ContainerStartBlocked when the container cannot start yet.
import { stat } from 'node:fs/promises';
import { chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { containerArgv } from './command.ts';
import type { ConfigSource } from './config-source.ts';
import { ContainerStartBlocked, configError } from './container-errors.ts';
import type { ProcessSpec } from './container-process.ts';
import type { NodeAllocatable } from './downward-api.ts';
import { resolveContainerEnv } from './env.ts';
import { processIdentity } from './identity.ts';
import { loadImageMap } from './images.ts';
import { makePathTranslator, type PathMapping } from './path-translation.ts';
import type { PodPaths } from './pod-paths.ts';

export const defaultTerminationMessagePath = '/dev/termination-log';

export interface LaunchContext {
  readonly pod: V1Pod;
  readonly paths: PodPaths;
  readonly volumeDirs: ReadonlyMap<string, string>;
  readonly source: ConfigSource;
  readonly allocatable: NodeAllocatable;
  readonly baseVariables: ReadonlyMap<string, string>;
  readonly imagesFile: string | undefined;
  readonly kubeletIsRoot: boolean;
  /** The kubelet's PATH, which container processes inherit unless they set their own. */
  readonly hostPath: string;
  /** Told why a container whose image name is in the store runs as a process after all. */
  readonly onFallback?: (why: string) => void;
}

export interface ProcessLaunch {
  readonly kind: 'process';
  readonly process: ProcessSpec;
  readonly logFile: string;
  readonly terminationMessageFile: string;
}

export async function prepareLaunch(
  context: LaunchContext,
  container: V1Container,
  restartCount: number,
): Promise<ProcessLaunch> {
  const { pod, paths } = context;
  const identity = processIdentity(pod, container, context.kubeletIsRoot);
  const variables = await resolveContainerEnv({
    pod,
    container,
    source: context.source,
    allocatable: context.allocatable,
    baseVariables: context.baseVariables,
  });
  const images = await loadImageMap(context.imagesFile).catch((error: unknown) => {
    throw new ContainerStartBlocked('CreateContainerError', `reading the image map: ${(error as Error).message}`);
  });
  const argv = containerArgv(container, images, variables);

  const terminationMessageFile = paths.terminationMessage(container.name);
  const terminationMapping: PathMapping = {
    containerPath: container.terminationMessagePath || defaultTerminationMessagePath,
    hostPath: terminationMessageFile,
  };
  const mappings: PathMapping[] = [terminationMapping];
  for (const mount of container.volumeMounts ?? []) {
    const volumeDir = context.volumeDirs.get(mount.name);
    if (!volumeDir) throw configError(`volumeMount ${JSON.stringify(mount.name)} names no volume of the pod`);
    if (mount.subPathExpr) throw configError(`volumeMount ${JSON.stringify(mount.name)}: subPathExpr is not supported`);
    const hostPath = mount.subPath ? join(volumeDir, mount.subPath) : volumeDir;
    if (mount.subPath) await mkdir(hostPath, { recursive: true });
    mappings.push({ containerPath: mount.mountPath, hostPath });
  }
  const translate = makePathTranslator(mappings, [terminationMapping]);

  const home = paths.home(container.name);
  await mkdir(home, { recursive: true, mode: 0o755 });
  await mkdir(join(paths.logs, container.name), { recursive: true });
  // A fresh, empty termination message for every instance.
  await writeFile(terminationMessageFile, '', { mode: 0o666 });
  if (identity) {
    await chown(home, identity.uid, identity.gid);
    await chown(terminationMessageFile, identity.uid, identity.gid);
  }

  const env: Record<string, string> = {
    PATH: context.hostPath,
    HOME: home,
    HOSTNAME: pod.spec?.hostname ?? pod.metadata?.name ?? '',
  };
  for (const [name, value] of variables) env[name] = translate(value);

  const logFile = paths.log(container.name, restartCount);
  return {
    kind: 'process',
    process: {
      argv: argv.map(translate),
      env,
      cwd: await workingDirectory(container.workingDir, translate, home),
      ...(identity ? { uid: identity.uid, gid: identity.gid } : {}),
      logFile,
    },
    logFile,
    terminationMessageFile,
  };
}

/**
 * A workingDir under a mount becomes the host directory; one that exists on the host is used
 * as is; anything else (an image's /app) falls back to the container's home, and so does an
 * empty workingDir, so that relative writes never land in the host's root.
 */
async function workingDirectory(
  workingDir: string | undefined,
  translate: (value: string) => string,
  home: string,
): Promise<string> {
  if (!workingDir) return home;
  const translated = translate(workingDir);
  if (translated !== workingDir) {
    await mkdir(translated, { recursive: true });
    return translated;
  }
  const existing = await stat(workingDir).catch(() => undefined);
  return existing?.isDirectory() ? workingDir : home;
}
