// The argv a container runs: its command (+ args), or when it has no command the entrypoint
// its image is mapped to (+ args), with $(VAR) references expanded against its environment.
import type { V1Container } from '@kubernetes/client-node';
import { ContainerStartBlocked } from './container-errors.ts';
import { expandVariables, lookupIn } from './expansion.ts';
import { type ImageMap, imageEntrypoint, imageKey } from './images.ts';

export function containerArgv(
  container: V1Container,
  images: ImageMap,
  variables: ReadonlyMap<string, string>,
): string[] {
  const lookup = lookupIn(variables);
  const expand = (words: readonly string[] | undefined) => (words ?? []).map((w) => expandVariables(w, lookup));
  const command = expand(container.command);
  const args = expand(container.args);
  if (command.length > 0) return [...command, ...args];

  const image = container.image ?? '';
  const entrypoint = imageEntrypoint(images, image);
  if (!entrypoint) {
    throw new ContainerStartBlocked(
      'CreateContainerError',
      `container ${JSON.stringify(container.name)} has no command and image ${JSON.stringify(image)} ` +
        `(key ${JSON.stringify(imageKey(image))}) is not in the process kubelet's image map`,
    );
  }
  return [...entrypoint, ...args];
}
