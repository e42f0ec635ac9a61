// The operator's version: package.json's, two levels up from here in src/ and in dist/ alike
// (the images keep package.json at /app, next to dist/). Drill reports name it, and the runner
// image defaults to the one of the same version.
import { readFileSync } from 'node:fs';

/** The version in package.json, or undefined when it cannot be read. */
export function packageVersion(): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' && pkg.version !== '' ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}

/** The version for reports and logs: 'unknown' when package.json cannot be read. */
export function operatorVersion(): string {
  return packageVersion() ?? 'unknown';
}
