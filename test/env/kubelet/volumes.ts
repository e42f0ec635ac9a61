// Materializes a pod's volumes as directories under its work dir: emptyDir as an empty
// world-writable directory (as the real kubelet makes it), the others as freshly written files.
// Files are written once when the pod starts; later changes to a Secret or ConfigMap are not
// propagated, and service account tokens are not refreshed (the tokens last an hour or more).
import { chmod, chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import type { PodPaths } from './pod-paths.ts';
import { type VolumeContext, volumeContent } from './volume-files.ts';

export async function materializeVolumes(
  pod: V1Pod,
  paths: PodPaths,
  context: VolumeContext,
  kubeletIsRoot: boolean,
): Promise<Map<string, string>> {
  const fsGroup = kubeletIsRoot ? pod.spec?.securityContext?.fsGroup : undefined;
  const hostDirs = new Map<string, string>();
  for (const volume of pod.spec?.volumes ?? []) {
    const content = await volumeContent(volume, context);
    const dir = paths.volume(volume.name);
    if (content.kind === 'emptyDir') {
      await mkdir(dir, { recursive: true });
      await chmod(dir, 0o777);
      if (fsGroup !== undefined) await chown(dir, -1, fsGroup);
    } else {
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true, mode: 0o755 });
      for (const file of content.files) {
        const target = safeJoin(dir, file.path);
        await mkdir(dirname(target), { recursive: true, mode: 0o755 });
        await writeFile(target, file.data);
        // fsGroup: the pod's processes run with it as their group (identity.ts), so let the group read.
        await chmod(target, fsGroup === undefined ? file.mode : file.mode | 0o440);
        if (fsGroup !== undefined) await chown(target, -1, fsGroup);
      }
    }
    hostDirs.set(volume.name, dir);
  }
  return hostDirs;
}

/** The API rejects ".." in item paths; this refuses them again rather than write outside the volume. */
function safeJoin(dir: string, relative: string): string {
  const cleaned = normalize(relative);
  if (isAbsolute(cleaned) || cleaned === '..' || cleaned.startsWith('../')) {
    throw new Error(`volume file path ${JSON.stringify(relative)} escapes its volume`);
  }
  return join(dir, cleaned);
}
