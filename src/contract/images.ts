// Lifeboat's two images and how they are named: the registry, the repositories, and the tag,
// which is the version in package.json. The operator defaults its runner Jobs' image from here,
// hack/images/build.sh names and tags what it builds from here, and build/images/images.json
// (ImagesSummary) maps each reference to the OCI layout holding it, for whoever runs the images
// without a registry. The version is passed in: this module reads nothing.
import { z } from 'zod';

export const IMAGE_REGISTRY = 'ghcr.io/lifeboat-dev';
/** The images' org.opencontainers.image.source label. */
export const IMAGE_SOURCE = 'https://github.com/lifeboat-dev/lifeboat';

export const ImageName = z.enum(['operator', 'runner']);
export type ImageName = z.infer<typeof ImageName>;

export const IMAGE_REPOSITORIES: Readonly<Record<ImageName, string>> = {
  operator: 'lifeboat-operator',
  runner: 'lifeboat-runner',
};

/** An OCI tag: what package.json's version must also be. */
export const ImageTag = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, { error: 'must be an image tag (letters, digits, _ . -; at most 128)' });

/** The full reference of one of the images at a version, e.g. ghcr.io/lifeboat-dev/lifeboat-runner:0.1.0. */
export function imageReference(name: ImageName, version: string): string {
  return `${IMAGE_REGISTRY}/${IMAGE_REPOSITORIES[name]}:${ImageTag.parse(version)}`;
}

/** The runner image that goes with an operator of this version. */
export function runnerImage(version: string): string {
  return imageReference('runner', version);
}

/** build/images/images.json: each built image's reference, its OCI layout (relative to the repository root) and tag. */
export const ImagesSummary = z.partialRecord(
  ImageName,
  z.object({
    reference: z.string().min(1),
    layout: z.string().min(1),
    tag: ImageTag,
    /** The manifest's digest, sha256:…. */
    digest: z.string().regex(/^sha256:[0-9a-f]{64}$/).optional(),
  }),
);
export type ImagesSummary = z.infer<typeof ImagesSummary>;
