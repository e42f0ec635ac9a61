// Each image is unpacked once, by manifest digest, into <cache>/<digest>/rootfs (the cache is
// <workDir>/images unless several kubelets share one) with `umoci raw unpack` (layers applied
// in order, whiteouts honoured, owners kept: the kubelet is root). Every container of that
// image then uses it as the read-only lower layer of its own overlay (runc-container.ts), so
// nothing ever writes into it. The unpack goes to a temporary
// directory renamed into place, so a kubelet killed halfway leaves no half tree behind.
import { execFile } from 'node:child_process';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ContainerStartBlocked } from './container-errors.ts';
import type { StoredImage } from './oci-image.ts';

const run = promisify(execFile);

export class ImageRootfsCache {
  readonly #dir: string;
  readonly #unpacking = new Map<string, Promise<string>>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** The unpacked root file system of the image; the first call per digest unpacks it. */
  rootfs(image: StoredImage): Promise<string> {
    let unpacked = this.#unpacking.get(image.digest);
    if (!unpacked) {
      unpacked = this.#unpack(image);
      // A failed unpack is tried again on the next start rather than remembered.
      unpacked.catch(() => this.#unpacking.delete(image.digest));
      this.#unpacking.set(image.digest, unpacked);
    }
    return unpacked;
  }

  async #unpack(image: StoredImage): Promise<string> {
    const target = join(this.#dir, image.digest.replace(':', '-'));
    const rootfs = join(target, 'rootfs');
    if ((await stat(rootfs).catch(() => undefined))?.isDirectory()) return rootfs;
    const partial = `${target}.partial-${process.pid}`;
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial, { recursive: true });
    try {
      await run('umoci', ['raw', 'unpack', '--image', `${image.layout}:${image.tag}`, join(partial, 'rootfs')]);
    } catch (error) {
      await rm(partial, { recursive: true, force: true });
      const detail = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
      throw new ContainerStartBlocked('ErrImagePull', `unpacking ${image.layout}:${image.tag}: ${detail}`);
    }
    try {
      await rename(partial, target);
    } catch (error) {
      // Another kubelet sharing this cache unpacked the same digest first.
      await rm(partial, { recursive: true, force: true });
      if (!(await stat(rootfs).catch(() => undefined))?.isDirectory()) throw error;
    }
    return rootfs;
  }
}
