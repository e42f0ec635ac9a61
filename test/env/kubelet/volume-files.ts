// What a secret, configMap, downwardAPI or projected volume contains: a list of files with
// their modes, computed from the objects they project. Writing them is volumes.ts's job.
import type {
  V1DownwardAPIVolumeFile,
  V1KeyToPath,
  V1Pod,
  V1Volume,
  V1VolumeProjection,
} from '@kubernetes/client-node';
import { type ConfigKind, type ConfigSource, missingKeyMessage, notFoundMessage } from './config-source.ts';
import { ContainerStartBlocked } from './container-errors.ts';
import { type NodeAllocatable, podFieldValue, resourceFieldValue } from './downward-api.ts';

export interface VolumeFile {
  /** Relative to the volume's directory. */
  readonly path: string;
  readonly data: Buffer;
  readonly mode: number;
}

export interface TokenRequest {
  readonly serviceAccountName: string;
  readonly audience: string | undefined;
  readonly expirationSeconds: number;
}

export interface VolumeContext {
  readonly pod: V1Pod;
  readonly source: ConfigSource;
  readonly allocatable: NodeAllocatable;
  /** A token bound to the pod, from the TokenRequest API. */
  requestToken(request: TokenRequest): Promise<string>;
}

export type VolumeContent = { readonly kind: 'emptyDir' } | { readonly kind: 'files'; readonly files: VolumeFile[] };

const defaultFileMode = 0o644;
const defaultTokenSeconds = 3600;

export async function volumeContent(volume: V1Volume, context: VolumeContext): Promise<VolumeContent> {
  const fail = (message: string) =>
    new ContainerStartBlocked('ContainerCreating', `MountVolume.SetUp failed for volume "${volume.name}" : ${message}`);
  try {
    if (volume.emptyDir) return { kind: 'emptyDir' };
    if (volume.secret) {
      const { secretName = '', items, optional, defaultMode } = volume.secret;
      return { kind: 'files', files: await keyFiles(context, 'Secret', secretName, items, optional, defaultMode) };
    }
    if (volume.configMap) {
      const { name = '', items, optional, defaultMode } = volume.configMap;
      return { kind: 'files', files: await keyFiles(context, 'ConfigMap', name, items, optional, defaultMode) };
    }
    if (volume.downwardAPI) {
      const { items, defaultMode } = volume.downwardAPI;
      return { kind: 'files', files: downwardFiles(context, items ?? [], defaultMode) };
    }
    if (volume.projected) {
      const files: VolumeFile[] = [];
      for (const projection of volume.projected.sources ?? []) {
        files.push(...(await projectedFiles(context, projection, volume.projected.defaultMode)));
      }
      return { kind: 'files', files };
    }
  } catch (error) {
    throw fail((error as Error).message);
  }
  const type = Object.keys(volume).find((key) => key !== 'name') ?? 'unknown';
  throw fail(`${type} volumes are not supported by the process kubelet`);
}

async function keyFiles(
  context: VolumeContext,
  kind: ConfigKind,
  name: string,
  items: readonly V1KeyToPath[] | undefined,
  optional: boolean | undefined,
  defaultMode: number | undefined,
): Promise<VolumeFile[]> {
  const namespace = context.pod.metadata?.namespace ?? 'default';
  const values =
    kind === 'Secret' ? await context.source.secret(namespace, name) : await context.source.configMap(namespace, name);
  if (!values) {
    if (optional) return [];
    throw new Error(notFoundMessage(kind, name));
  }
  const mode = defaultMode ?? defaultFileMode;
  if (!items || items.length === 0) {
    return Object.entries(values).map(([key, data]) => ({ path: key, data, mode }));
  }
  const files: VolumeFile[] = [];
  for (const item of items) {
    const data = values[item.key];
    if (data === undefined) {
      if (optional) continue;
      throw new Error(missingKeyMessage(kind, namespace, name, item.key));
    }
    files.push({ path: item.path, data, mode: item.mode ?? mode });
  }
  return files;
}

function downwardFiles(
  context: VolumeContext,
  items: readonly V1DownwardAPIVolumeFile[],
  defaultMode: number | undefined,
): VolumeFile[] {
  return items.map((item) => ({
    path: item.path,
    data: Buffer.from(downwardValue(context, item)),
    mode: item.mode ?? defaultMode ?? defaultFileMode,
  }));
}

function downwardValue(context: VolumeContext, item: V1DownwardAPIVolumeFile): string {
  if (item.fieldRef) return podFieldValue(context.pod, item.fieldRef);
  if (item.resourceFieldRef) {
    const name = item.resourceFieldRef.containerName;
    const container = [...(context.pod.spec?.initContainers ?? []), ...(context.pod.spec?.containers ?? [])].find(
      (c) => c.name === name,
    );
    if (!container) throw new Error(`resourceFieldRef names unknown container ${JSON.stringify(name)}`);
    return resourceFieldValue(container, item.resourceFieldRef, context.allocatable);
  }
  throw new Error(`downwardAPI item ${item.path} has neither fieldRef nor resourceFieldRef`);
}

async function projectedFiles(
  context: VolumeContext,
  projection: V1VolumeProjection,
  defaultMode: number | undefined,
): Promise<VolumeFile[]> {
  if (projection.secret) {
    const { name = '', items, optional } = projection.secret;
    return keyFiles(context, 'Secret', name, items, optional, defaultMode);
  }
  if (projection.configMap) {
    const { name = '', items, optional } = projection.configMap;
    return keyFiles(context, 'ConfigMap', name, items, optional, defaultMode);
  }
  if (projection.downwardAPI) return downwardFiles(context, projection.downwardAPI.items ?? [], defaultMode);
  if (projection.serviceAccountToken) {
    const { audience, expirationSeconds, path } = projection.serviceAccountToken;
    const token = await context.requestToken({
      serviceAccountName: context.pod.spec?.serviceAccountName || 'default',
      audience: audience || undefined,
      expirationSeconds: expirationSeconds ?? defaultTokenSeconds,
    });
    return [{ path, data: Buffer.from(token), mode: defaultMode ?? defaultFileMode }];
  }
  throw new Error('projected source not supported by the process kubelet (only secret, configMap, downwardAPI, serviceAccountToken)');
}
