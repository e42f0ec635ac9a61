// The images `make images` wrote (build/images/images.json and the OCI layouts it names), read
// as a registry client would: the index, the manifest, the config, and every layer walked as
// the gzip'd tar stream it is, never unpacked.
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { describe, it } from '@jest/globals';
import tar from 'tar-stream';
import { ImagesSummary, type ImageName } from '../../../src/contract/images.ts';

export const REPO_ROOT = new URL('../../../', import.meta.url).pathname;
const SUMMARY = join(REPO_ROOT, 'build/images/images.json');
const REF_NAME = 'org.opencontainers.image.ref.name';

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

export function imagesSummary(): ImagesSummary {
  return ImagesSummary.parse(JSON.parse(readFileSync(SUMMARY, 'utf8')));
}

/**
 * `describe` for checks of the built images. Without build/images/images.json they are skipped
 * under a title that says why; in CI (CI set), where `make test` builds the images first, a
 * missing build fails instead.
 */
export function describeBuiltImages(title: string, body: () => void): void {
  if (existsSync(SUMMARY)) {
    describe(title, body);
    return;
  }
  const reason = 'build/images/images.json is missing: run `make images` (make test and make integration do)';
  describe(title, () => {
    if (process.env.CI) {
      it('needs the built images', () => {
        throw new Error(reason);
      });
    } else {
      it.skip(`SKIPPED, ${reason}`, () => undefined);
    }
  });
}

export interface OciConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[] | null;
  WorkingDir?: string;
  Labels?: Record<string, string>;
}

export interface Layout {
  dir: string;
  manifestDigest: string;
  config: OciConfig;
  /** Layer blob paths, lowest first. */
  layers: string[];
}

function blob(dir: string, digest: string): string {
  const [algorithm = '', hex = ''] = digest.split(':');
  return join(dir, 'blobs', algorithm, hex);
}

function json<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** The manifest tagged `tag` in the layout, its config and its layers. */
export function readLayout(layout: string, tag: string): Layout {
  const dir = join(REPO_ROOT, layout);
  const index = json<{ manifests: { digest: string; annotations?: Record<string, string> }[] }>(join(dir, 'index.json'));
  const tagged = index.manifests.find((manifest) => manifest.annotations?.[REF_NAME] === tag);
  if (!tagged) throw new Error(`${layout} has no manifest tagged ${tag}`);
  const manifest = json<{ config: { digest: string }; layers: { digest: string; mediaType: string }[] }>(blob(dir, tagged.digest));
  const config = json<{ config?: OciConfig }>(blob(dir, manifest.config.digest)).config ?? {};
  return { dir, manifestDigest: tagged.digest, config, layers: manifest.layers.map((layer) => blob(dir, layer.digest)) };
}

export interface LayerEntry {
  /** Relative to the root, without ./ or a trailing slash: "usr/bin/zstd". */
  path: string;
  layer: number;
  type: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  linkname?: string;
}

/**
 * Every entry of every layer, in order; `inspect` sees the contents of the regular files it
 * asks for (`wants`), one at a time.
 */
export async function walkLayers(
  layers: string[],
  options: { wants?: (entry: LayerEntry) => boolean; inspect?: (entry: LayerEntry, content: Buffer) => void } = {},
): Promise<LayerEntry[]> {
  const entries: LayerEntry[] = [];
  for (const [layer, path] of layers.entries()) {
    const extract = tar.extract();
    extract.on('entry', (header, stream, next) => {
      const entry: LayerEntry = {
        path: header.name.replace(/^\.?\/+/, '').replace(/\/+$/, ''),
        layer,
        type: header.type ?? 'file',
        size: header.size ?? 0,
        mode: header.mode ?? 0,
        uid: header.uid ?? 0,
        gid: header.gid ?? 0,
        ...(header.linkname ? { linkname: header.linkname } : {}),
      };
      entries.push(entry);
      if (entry.type === 'file' && options.inspect && options.wants?.(entry)) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
        stream.on('end', () => {
          options.inspect?.(entry, Buffer.concat(chunks));
          next();
        });
      } else {
        stream.on('end', () => next());
        stream.resume();
      }
    });
    await pipeline(createReadStream(path), createGunzip(), extract);
  }
  return entries.filter((entry) => entry.path !== '' && entry.path !== '.');
}

/** The file system a container sees: the highest layer's entry for each path. */
export function mergeLayers(entries: LayerEntry[]): Map<string, LayerEntry> {
  const files = new Map<string, LayerEntry>();
  for (const entry of entries) files.set(entry.path, entry);
  return files;
}

export interface DpkgPackage {
  name: string;
  version: string;
  status: string;
  essential: boolean;
  priority: string;
  /** Depends and Pre-Depends: each a list of alternatives, names only. */
  depends: string[][];
  provides: string[];
}

/** /var/lib/dpkg/status, the installed packages' records. */
export function parseDpkgStatus(text: string): DpkgPackage[] {
  return text
    .split(/\n\n+/)
    .filter((record) => record.trim() !== '')
    .map((record) => {
      const fields = new Map<string, string>();
      let last = '';
      for (const line of record.split('\n')) {
        if (/^\s/.test(line)) fields.set(last, `${fields.get(last) ?? ''}\n${line}`);
        else {
          const colon = line.indexOf(':');
          last = line.slice(0, colon);
          fields.set(last, line.slice(colon + 1).trim());
        }
      }
      const names = (value: string | undefined) =>
        (value ?? '')
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean);
      const bare = (spec: string) => spec.replace(/\s*\(.*\)/, '').replace(/:any$/, '').trim();
      return {
        name: fields.get('Package') ?? '',
        version: fields.get('Version') ?? '',
        status: fields.get('Status') ?? '',
        essential: fields.get('Essential') === 'yes',
        priority: fields.get('Priority') ?? '',
        depends: [...names(fields.get('Pre-Depends')), ...names(fields.get('Depends'))].map((group) => group.split('|').map(bare)),
        provides: names(fields.get('Provides')).map(bare),
      };
    });
}

/** images/<name>/packages: the package names it asks for. */
export function requestedPackages(name: ImageName): string[] {
  return readFileSync(join(REPO_ROOT, 'images', name, 'packages'), 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean);
}
