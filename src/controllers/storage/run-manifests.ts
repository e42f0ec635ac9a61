// The catalog: the run manifests under a schedule's folder (<prefix>/<ns>/<schedule>/<run>/manifest.json).
// A run folder without a manifest is an unfinished run and is not part of the catalog; a
// manifest that does not parse is skipped (and reported), never half-imported.
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { CatalogEntry } from '../../core/index.ts';
import { TemporaryError } from '../../runtime/errors.ts';
import { MANIFEST_FILE } from '../../contract/bucket-layout.ts';
import { RunManifest } from '../../contract/manifests.ts';
import { isNotFound, storageFailure } from '../../s3/errors.ts';

export interface CatalogListing {
  entries: CatalogEntry[];
  /** Manifests that exist but are not valid: key and why. */
  invalid: { key: string; reason: string }[];
}

async function runFolders(s3: S3Client, bucket: string, prefix: string, signal?: AbortSignal): Promise<string[]> {
  const folders: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }),
      signal ? { abortSignal: signal } : {},
    );
    for (const common of page.CommonPrefixes ?? []) if (common.Prefix) folders.push(common.Prefix);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return folders;
}

async function readText(s3: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<string | undefined> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), signal ? { abortSignal: signal } : {});
    return (await response.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

function parseManifest(text: string): { manifest: RunManifest } | { reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { reason: 'not valid JSON' };
  }
  const parsed = RunManifest.safeParse(json);
  if (parsed.success) return { manifest: parsed.data };
  const issue = parsed.error.issues[0];
  return { reason: issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid' };
}

/** Lists and reads every run manifest under `prefix` (which ends in "/"). A missing bucket is an empty catalog. */
export async function listRunManifests(
  s3: S3Client,
  where: { bucket: string; prefix: string; endpoint?: string | undefined },
  signal?: AbortSignal,
): Promise<CatalogListing> {
  const listing: CatalogListing = { entries: [], invalid: [] };
  try {
    for (const folder of await runFolders(s3, where.bucket, where.prefix, signal)) {
      const key = `${folder}${MANIFEST_FILE}`;
      const text = await readText(s3, where.bucket, key, signal);
      if (text === undefined) continue;
      const parsed = parseManifest(text);
      if ('manifest' in parsed) listing.entries.push({ key, manifest: parsed.manifest });
      else listing.invalid.push({ key, reason: parsed.reason });
    }
    return listing;
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchBucket') return listing;
    const place = where.endpoint ? { bucket: where.bucket, key: where.prefix, endpoint: where.endpoint } : { bucket: where.bucket, key: where.prefix };
    throw new TemporaryError(storageFailure(error, place, 'reading the backup catalog under').message, { cause: error });
  }
}
