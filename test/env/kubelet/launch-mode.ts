// Which way a container runs. In runc mode a container whose image (name and tag) is in the
// image store runs from that image with runc; any other container falls back to process mode:
// with a command it runs on the host as is (the kubelet's own tests run `sh -c` under
// busybox:1.36), without one it needs an entry in the image map. A container that has neither
// waits with ErrImageNeverPull, since nothing here can pull. A tag the store lacks falls back
// too when the process mode can run the container (tests that name `lifeboat-runner:dev`
// while the store holds 0.1.0), with a warning in the kubelet's log.
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
  const hasCommand = (container.command ?? []).length > 0;
  if (images && (await images.store.holds(image))) {
    try {
      const stored = await images.store.resolve(image);
      const rootfs = await images.rootfs.rootfs(stored);
      return await prepareRuncLaunch(context, container, restartCount, stored, rootfs);
    } catch (error) {
      // A tag the store lacks still runs as a process when the process fallback knows the image.
      if (!(error instanceof ContainerStartBlocked && error.reason === 'ErrImageNeverPull' && (hasCommand || (await mapped(context, image))))) throw error;
      context.onFallback?.(error.message);
    }
  }
  if (images && !hasCommand) {
    if (!(await mapped(context, image))) {
      throw new ContainerStartBlocked(
        'ErrImageNeverPull',
        `Container image ${JSON.stringify(image)} is not present with pull policy of Never: ` +
          `no ${JSON.stringify(imageKey(image))} in the image store ${images.store.dir}, nor in the image map`,
      );
    }
  }
  return prepareLaunch(context, container, restartCount);
}

async function mapped(context: LaunchContext, image: string): Promise<boolean> {
  const map = await loadImageMap(context.imagesFile).catch(() => ({}));
  return imageEntrypoint(map, image) !== undefined;
}
