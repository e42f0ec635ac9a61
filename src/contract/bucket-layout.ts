// Where things live in the backup bucket:
//   <prefix>/<namespace>/<schedule>/<run>/manifest.json         run manifest, written last
//   <prefix>/<namespace>/<schedule>/<run>/verification.json     the read-back's verdict, written
//                                                                by verify after the run manifest
//   <prefix>/<namespace>/<schedule>/<run>/<source>/manifest.json per-artifact manifest
//   <prefix>/<namespace>/<schedule>/<run>/<source>/<data file>   the artifact itself
// Names are Kubernetes object names (DNS labels: no dots, no slashes), so a source can never
// be called "manifest.json" and segments cannot escape their level.
import { z } from 'zod';

const KubeName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a Kubernetes name (lowercase letters, digits and -)');

export const RunLocation = z.object({
  namespace: KubeName,
  schedule: KubeName,
  run: KubeName,
});
export type RunLocation = z.infer<typeof RunLocation>;

export const ArtifactLocation = RunLocation.extend({ source: KubeName });
export type ArtifactLocation = z.infer<typeof ArtifactLocation>;

export const MANIFEST_FILE = 'manifest.json';
/** The verify task's verdict on a run (RunVerification), next to its run manifest. */
export const VERIFICATION_FILE = 'verification.json';

function joinKey(...parts: string[]): string {
  return parts
    .map((part) => part.replace(/^\/+|\/+$/g, ''))
    .filter((part) => part.length > 0)
    .join('/');
}

export function runPrefix(prefix: string, location: RunLocation): string {
  return joinKey(prefix, location.namespace, location.schedule, location.run);
}

export function schedulePrefix(prefix: string, location: Pick<RunLocation, 'namespace' | 'schedule'>): string {
  return joinKey(prefix, location.namespace, location.schedule);
}

export function sourcePrefix(prefix: string, location: ArtifactLocation): string {
  return joinKey(runPrefix(prefix, location), location.source);
}

export function runManifestKey(prefix: string, location: RunLocation): string {
  return joinKey(runPrefix(prefix, location), MANIFEST_FILE);
}

export function runVerificationKey(prefix: string, location: RunLocation): string {
  return joinKey(runPrefix(prefix, location), VERIFICATION_FILE);
}

export function artifactManifestKey(prefix: string, location: ArtifactLocation): string {
  return joinKey(sourcePrefix(prefix, location), MANIFEST_FILE);
}

export function artifactDataKey(prefix: string, location: ArtifactLocation, fileName: string): string {
  return joinKey(sourcePrefix(prefix, location), fileName);
}
