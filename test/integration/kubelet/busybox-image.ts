// A tiny OCI image for the runc-mode tests, built in well under a second: Debian's static
// busybox with its applets as symlinks, an /etc/passwd with an "app" user, and a config whose
// Entrypoint/Cmd, Env and WorkingDir the tests can tell apart from a pod's command and env.
// Built with umoci into <store>/<name>, tagged `tag`, as `make images` lays out build/images.
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const busyboxBinary = '/bin/busybox';

export interface TestImage {
  readonly name: string;
  readonly tag: string;
  /** The reference pods use: "registry.example.com/test/<name>:<tag>". */
  readonly reference: string;
}

/** True when this machine can build the image: busybox-static and umoci are installed. */
export function canBuildTestImage(): boolean {
  return existsSync(busyboxBinary) && existsSync('/usr/bin/umoci');
}

export async function buildBusyboxImage(store: string, name: string, tag: string): Promise<TestImage> {
  const work = mkdtempSync(join(tmpdir(), 'busybox-image-'));
  try {
    const rootfs = join(work, 'rootfs');
    for (const dir of ['bin', 'etc', 'tmp', 'app', 'var/empty']) mkdirSync(join(rootfs, dir), { recursive: true });
    chmodSync(join(rootfs, 'tmp'), 0o1777);
    copyFileSync(busyboxBinary, join(rootfs, 'bin/busybox'));
    chmodSync(join(rootfs, 'bin/busybox'), 0o755);
    const { stdout } = await run(busyboxBinary, ['--list']);
    for (const applet of stdout.split('\n').filter((a) => a && a !== 'busybox')) symlinkSync('busybox', join(rootfs, 'bin', applet));
    writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:app:/app:/bin/sh\nnobody:x:65534:65534:nobody:/var/empty:/bin/false\n');
    writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\napp:x:1001:\nnogroup:x:65534:\n');
    writeFileSync(join(rootfs, 'app/greeting'), 'from the image\n');

    const layer = join(work, 'layer.tar');
    await run('tar', ['--owner=0', '--group=0', '--numeric-owner', '-C', rootfs, '-cf', layer, '.']);
    mkdirSync(store, { recursive: true });
    const layout = join(store, name);
    rmSync(layout, { recursive: true, force: true });
    const image = `${layout}:${tag}`;
    await run('umoci', ['init', '--layout', layout]);
    await run('umoci', ['new', '--image', image]);
    await run('umoci', ['raw', 'add-layer', '--image', image, layer]);
    await run('umoci', [
      'config',
      '--image', image,
      '--config.entrypoint', '/bin/sh',
      '--config.entrypoint', '-c',
      '--config.cmd', 'printf "image cmd as %s in %s" "$(id -u)" "$PWD" > /dev/termination-log',
      '--config.env', 'PATH=/bin',
      '--config.env', 'IMAGE_ONLY=from-image',
      '--config.env', 'OVERRIDDEN=by-image',
      '--config.workingdir', '/app',
    ]);
    return { name, tag, reference: `registry.example.com/test/${name}:${tag}` };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
