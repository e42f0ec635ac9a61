// The image store stands in for a registry: a directory of OCI image layouts, one per image
// name (`<store>/lifeboat-runner`, what `make images` writes to build/images). A reference
// "ghcr.io/acme/lifeboat-runner:0.1.0" finds the layout by its last path segment and the
// manifest by its tag (the layout's `org.opencontainers.image.ref.name`; `latest` when the
// reference names none). Nothing is ever pulled: a tag the layout lacks keeps the container
// waiting with ErrImageNeverPull, as a real kubelet does for an absent image under
// imagePullPolicy Never.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ContainerStartBlocked } from './container-errors.ts';
import { imageKey } from './images.ts';

const refNameAnnotation = 'org.opencontainers.image.ref.name';
const indexMediaTypes = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);

const Descriptor = z.object({
  mediaType: z.string().optional(),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  annotations: z.record(z.string(), z.string()).optional(),
  platform: z.object({ architecture: z.string(), os: z.string() }).optional(),
});
type Descriptor = z.infer<typeof Descriptor>;
const Index = z.object({ manifests: z.array(Descriptor) });
const Manifest = z.object({ config: Descriptor, layers: z.array(Descriptor) });

/** The part of an image's config a container runtime acts on. */
export const ImageConfig = z.object({
  User: z.string().optional(),
  Env: z.array(z.string()).nullish(),
  Entrypoint: z.array(z.string()).nullish(),
  Cmd: z.array(z.string()).nullish(),
  WorkingDir: z.string().optional(),
});
export type ImageConfig = z.infer<typeof ImageConfig>;
const ConfigBlob = z.object({ config: ImageConfig.optional() });

export interface StoredImage {
  /** Store key: the repository's last path segment. */
  readonly name: string;
  readonly tag: string;
  readonly layout: string;
  /** The image manifest's digest: what the unpacked root file system is cached by. */
  readonly digest: string;
  readonly config: ImageConfig;
}

export class ImageStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** True when the store has a layout for the image's name, whatever its tags. */
  async holds(image: string): Promise<boolean> {
    return isLayout(join(this.dir, imageKey(image)));
  }

  /** The image's manifest and config; throws ErrImageNeverPull when the layout lacks its tag. */
  async resolve(image: string): Promise<StoredImage> {
    const name = imageKey(image);
    const tag = imageTag(image);
    const layout = join(this.dir, name);
    const index = Index.parse(await readJson(join(layout, 'index.json')));
    const found = index.manifests.find((m) => m.annotations?.[refNameAnnotation] === tag);
    if (!found) {
      const tags = index.manifests.map((m) => m.annotations?.[refNameAnnotation]).filter((t) => t !== undefined);
      throw new ContainerStartBlocked(
        'ErrImageNeverPull',
        `Container image ${JSON.stringify(image)} is not present with pull policy of Never: ` +
          `the image store ${layout} has ${tags.length > 0 ? `tags ${tags.join(', ')}` : 'no tags'}, not ${JSON.stringify(tag)}`,
      );
    }
    const manifestDescriptor = await platformManifest(layout, found);
    const manifest = Manifest.parse(await readJson(blobPath(layout, manifestDescriptor.digest)));
    const blob = ConfigBlob.parse(await readJson(blobPath(layout, manifest.config.digest)));
    return { name, tag, layout, digest: manifestDescriptor.digest, config: blob.config ?? {} };
  }

  /** "name:tag" of every image in the store, for the kubelet's start-up line. */
  async list(): Promise<string[]> {
    const names = await readdir(this.dir).catch(() => []);
    const images: string[] = [];
    for (const name of names.sort()) {
      const index = await readJson(join(this.dir, name, 'index.json')).catch(() => undefined);
      const parsed = Index.safeParse(index);
      if (!parsed.success) continue;
      for (const manifest of parsed.data.manifests) {
        const tag = manifest.annotations?.[refNameAnnotation];
        if (tag) images.push(`${name}:${tag}`);
      }
    }
    return images;
  }
}

/** The tag of a reference: what follows the last ':' of its last path segment, or `latest`. */
export function imageTag(image: string): string {
  const withoutDigest = image.split('@')[0] ?? image;
  const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  const tagStart = lastSegment.indexOf(':');
  return tagStart === -1 ? 'latest' : lastSegment.slice(tagStart + 1);
}

export function blobPath(layout: string, digest: string): string {
  const [algorithm = 'sha256', hex = ''] = digest.split(':');
  return join(layout, 'blobs', algorithm, hex);
}

/** A multi-platform tag points at an index: take this machine's linux manifest. */
async function platformManifest(layout: string, descriptor: Descriptor): Promise<Descriptor> {
  if (!descriptor.mediaType || !indexMediaTypes.has(descriptor.mediaType)) return descriptor;
  const index = Index.parse(await readJson(blobPath(layout, descriptor.digest)));
  const architecture = process.arch === 'x64' ? 'amd64' : process.arch;
  const match = index.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === architecture);
  if (!match) throw new ContainerStartBlocked('ErrImagePull', `no linux/${architecture} manifest in ${layout} for ${descriptor.digest}`);
  return match;
}

async function isLayout(dir: string): Promise<boolean> {
  return (await stat(join(dir, 'index.json')).catch(() => undefined))?.isFile() ?? false;
}

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, 'utf8'));
}
