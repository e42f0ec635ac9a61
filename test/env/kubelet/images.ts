// The image map stands in for image pulls: a container without a command runs the entrypoint
// its image is mapped to. Keys are the repository's last path segment without tag or digest,
// so "ghcr.io/acme/lifeboat-runner:v1@sha256:..." looks up "lifeboat-runner".
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

export const ImageMap = z.record(z.string(), z.array(z.string()).min(1));
export type ImageMap = z.infer<typeof ImageMap>;

export function imageKey(image: string): string {
  const withoutDigest = image.split('@')[0] ?? image;
  const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  const tagStart = lastSegment.indexOf(':');
  return tagStart === -1 ? lastSegment : lastSegment.slice(0, tagStart);
}

export function imageEntrypoint(map: ImageMap, image: string): readonly string[] | undefined {
  return map[imageKey(image)];
}

/**
 * Loads the map from its file on every call: a test may add an image while the kubelet runs,
 * and one small read per container start costs nothing.
 */
export async function loadImageMap(file: string | undefined): Promise<ImageMap> {
  if (!file) return {};
  return ImageMap.parse(JSON.parse(await readFile(file, 'utf8')));
}
