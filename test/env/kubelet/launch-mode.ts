// Which way a container runs. In runc mode a container whose image name is in the image store
// runs from that image with runc; any other container falls back to process mode: with a
// command it runs on the host as is (the kubelet's own tests run `sh -c` under busybox:1.36),
// without one it needs an entry in the image map. A container that has neither waits with
// ErrImageNeverPull, since nothing here can pull.
import type { V1Container } from '@kubernetes/client-node';
import { ContainerStartBlocked } from './container-errors.ts';
import { type LaunchContext, prepareLaunch } from './container-launch.ts';
import type { Launch } from './container-runtime.ts';
import type { ImageRootfsCache } from './image-rootfs.ts';
import { imageEntrypoint, imageKey, loadImageMap } from './images.ts';
import type { ImageStore } from './oci-image.ts';
import { prepareRuncLaunch } from './runc-launch.ts';

/** What runc mode needs to turn an image reference into a root file system. */
export interface RuncImages {
  readonly store: ImageStore;
  readonly rootfs: ImageRootfsCache;
}

export async function prepareContainer(
  context: LaunchContext,
  images: RuncImages | undefined,
  container: V1Container,
  restartCount: number,
): Promise<Launch> {
  const image = container.image ?? '';
  if (images && (await images.store.holds(image))) {
    const stored = await images.store.resolve(image);
    const rootfs = await images.rootfs.rootfs(stored);
    return prepareRuncLaunch(context, container, restartCount, stored, rootfs);
  }
  if (images && (container.command ?? []).length === 0) {
    const map = await loadImageMap(context.imagesFile).catch(() => ({}));
    if (!imageEntrypoint(map, image)) {
      throw new ContainerStartBlocked(
        'ErrImageNeverPull',
        `Container image ${JSON.stringify(image)} is not present with pull policy of Never: ` +
          `no ${JSON.stringify(imageKey(image))} in the image store ${images.store.dir}, nor in the image map`,
      );
    }
  }
  return prepareLaunch(context, container, restartCount);
}
