// Versions recorded in manifests, so a restore years later knows what wrote the artifact.
import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The runner's own version: from package.json two levels up (src/runner or dist/runner). */
export function runnerVersion(): string {
  if (cached === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
      cached = pkg.version ?? 'unknown';
    } catch {
      cached = 'unknown';
    }
  }
  return cached;
}

export function baseTools(): Record<string, string> {
  return { 'lifeboat-runner': runnerVersion(), node: process.version };
}
