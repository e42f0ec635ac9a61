// Where the Go-built servers live (hack/testbin/dir.sh decides), and a clear error when one is missing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.ts';

export const REQUIRED_BINARIES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
  'minio',
  'gofakes3',
] as const;

export type BinaryName = (typeof REQUIRED_BINARIES)[number];

export function testbinDir(): string {
  return execFileSync('bash', [join(repoRoot, 'hack/testbin/dir.sh')], { encoding: 'utf8' }).trim();
}

export function locateBinaries(dir = testbinDir()): Record<BinaryName, string> {
  const found = {} as Record<BinaryName, string>;
  const missing: string[] = [];
  for (const name of REQUIRED_BINARIES) {
    const path = join(dir, name);
    if (existsSync(path)) found[name] = path;
    else missing.push(name);
  }
  if (missing.length > 0) {
    throw new Error(
      `test binaries missing in ${dir}: ${missing.join(', ')}. Build them with 'make testbin' (a cold build takes a while, see docs/testing.md).`,
    );
  }
  return found;
}

/** A tool built by hack/testbin/tools/<name>.sh (helm, promtool, lifeboat-health), with a clear error when missing. */
export function locateTool(name: string, dir = testbinDir()): string {
  const path = join(dir, name);
  if (!existsSync(path)) {
    throw new Error(`test tool ${name} missing in ${dir}: build it with 'make testbin' (hack/testbin/tools/${name}.sh).`);
  }
  return path;
}
