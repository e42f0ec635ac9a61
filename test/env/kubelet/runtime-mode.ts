// Whether the kubelet runs images with runc or every container as a host process, and why.
// runc mode needs an image store, root (runc and overlay mounts), runc and umoci on PATH;
// LIFEBOAT_KUBELET_MODE=process turns it off for debugging. The same answer is printed at the
// start of a test run (jest-global-setup.ts) and logged by the kubelet, so nobody has to guess
// what ran their pods.
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { ImageStore } from './oci-image.ts';

const run = promisify(execFile);

export const modeVariable = 'LIFEBOAT_KUBELET_MODE';

export type KubeletMode =
  | { readonly kind: 'runc'; readonly store: ImageStore; readonly images: readonly string[]; readonly runcVersion: string }
  | { readonly kind: 'process'; readonly why: string };

export async function detectMode(imageStore: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<KubeletMode> {
  if (env[modeVariable] === 'process') return { kind: 'process', why: `${modeVariable}=process` };
  if (!imageStore) return { kind: 'process', why: 'no image store' };
  if (!(await stat(imageStore).catch(() => undefined))?.isDirectory()) return { kind: 'process', why: `no image store at ${imageStore}` };
  if (process.getuid?.() !== 0) return { kind: 'process', why: 'runc mode needs root' };
  const runcVersion = await toolVersion('runc');
  if (!runcVersion) return { kind: 'process', why: 'runc not found' };
  if (!(await toolVersion('umoci'))) return { kind: 'process', why: 'umoci not found' };
  const store = new ImageStore(imageStore);
  return { kind: 'runc', store, images: await store.list(), runcVersion };
}

/** One line: "runc mode, images: lifeboat-runner:0.1.0 (build/images)" or "process mode (runc not found)". */
export function describeMode(mode: KubeletMode, storeLabel?: string): string {
  if (mode.kind === 'process') return `process mode (${mode.why})`;
  const images = mode.images.length > 0 ? mode.images.join(', ') : 'none';
  return `runc mode, images: ${images} (${storeLabel ?? mode.store.dir})`;
}

async function toolVersion(tool: string): Promise<string | undefined> {
  try {
    const { stdout } = await run(tool, ['--version']);
    return stdout.split('\n')[0]?.trim();
  } catch {
    return undefined;
  }
}
