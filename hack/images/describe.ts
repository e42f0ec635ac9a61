// What hack/images/build.sh asks of src/contract/images.ts, and its summary:
//
//   describe.ts version                      package.json's version (the tag)
//   describe.ts reference <name> <version>   the image's full reference
//   describe.ts repository <name>            lifeboat-operator, lifeboat-runner
//   describe.ts source                       the org.opencontainers.image.source label
//   describe.ts summary <version> <name>...  writes build/images/images.json and prints each
//                                            image's packages and sizes
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { IMAGE_SOURCE, IMAGE_REPOSITORIES, ImageName, ImagesSummary, ImageTag, imageReference } from '../../src/contract/images.ts';

const root = new URL('../../', import.meta.url).pathname;
const imagesDir = 'build/images';

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

function blobPath(layout: string, digest: string): string {
  const [algorithm, hex] = digest.split(':');
  return join(root, layout, 'blobs', algorithm ?? '', hex ?? '');
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** The manifest descriptor tagged with the version in the layout's index. */
function taggedManifest(layout: string, tag: string): Descriptor {
  const index = readJson<{ manifests: Descriptor[] }>(join(root, layout, 'index.json'));
  const found = index.manifests.find((manifest) => manifest.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!found) throw new Error(`${layout} has no manifest tagged ${tag}`);
  return found;
}

async function unpackedSize(path: string): Promise<number> {
  let size = 0;
  for await (const chunk of createReadStream(path).pipe(createGunzip())) size += (chunk as Buffer).length;
  return size;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function summary(version: string, names: ImageName[]): Promise<void> {
  const summaryPath = join(root, imagesDir, 'images.json');
  let previous: ImagesSummary = {};
  try {
    previous = ImagesSummary.parse(readJson(summaryPath));
  } catch {
    // No summary yet, or one from an older shape: this build writes it anew.
  }
  const images: ImagesSummary = { ...previous };
  for (const name of names) {
    const layout = `${imagesDir}/${IMAGE_REPOSITORIES[name]}`;
    const descriptor = taggedManifest(layout, version);
    const manifest = readJson<{ layers: Descriptor[] }>(blobPath(layout, descriptor.digest));
    const compressed = manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
    const unpacked = (await Promise.all(manifest.layers.map((layer) => unpackedSize(blobPath(layout, layer.digest))))).reduce((sum, size) => sum + size, 0);
    const packages = readFileSync(join(root, `${layout}.packages`), 'utf8').trim().split('\n');
    images[name] = { reference: imageReference(name, version), layout, tag: version, digest: descriptor.digest };
    process.stdout.write(
      [
        `${imageReference(name, version)} (${descriptor.digest}) in ${layout}`,
        `  ${packages.length} Debian packages: ${packages.join(', ')}`,
        `  layers: ${mib(compressed)} compressed, ${mib(unpacked)} unpacked (${manifest.layers.map((layer) => mib(layer.size)).join(' + ')})`,
        '',
      ].join('\n'),
    );
  }
  writeFileSync(summaryPath, `${JSON.stringify(images, null, 2)}\n`);
  process.stdout.write(`wrote ${imagesDir}/images.json\n`);
}

const [command, ...args] = process.argv.slice(2);
switch (command) {
  case 'version':
    process.stdout.write(`${ImageTag.parse(readJson<{ version?: string }>(join(root, 'package.json')).version)}\n`);
    break;
  case 'reference':
    process.stdout.write(`${imageReference(ImageName.parse(args[0]), args[1] ?? '')}\n`);
    break;
  case 'repository':
    process.stdout.write(`${IMAGE_REPOSITORIES[ImageName.parse(args[0])]}\n`);
    break;
  case 'source':
    process.stdout.write(`${IMAGE_SOURCE}\n`);
    break;
  case 'summary':
    await summary(ImageTag.parse(args[0]), args.slice(1).map((name) => ImageName.parse(name)));
    break;
  default:
    process.stderr.write('usage: describe.ts version | reference <name> <version> | repository <name> | source | summary <version> <name>...\n');
    process.exit(2);
}
