// The operator's one way into object storage: the things controllers do with a backup bucket
// (read the run manifests under a schedule's folder with the verify task's verdicts, read one,
// delete a run's objects, write a drill's report next to the backups), as an interface, so controllers never see the SDK and a test can hand them a fake. Failures
// come out as RunnerErrors whose message names the place (never credentials); what to do about
// them (retry, report) is the caller's decision.
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { MANIFEST_FILE, VERIFICATION_FILE } from '../contract/bucket-layout.ts';
import { RunManifest, RunVerification } from '../contract/manifests.ts';
import type { S3Endpoint } from '../contract/s3-endpoint.ts';
import { RunnerError } from '../failures/runner-error.ts';
import { createS3Client, type S3ClientOptions } from './client.ts';
import { isNotFound, storageFailure } from './errors.ts';

/** A bucket and a key (or key prefix) in it; `endpoint` only names the server in messages. */
export interface StorePlace {
  bucket: string;
  endpoint?: string | undefined;
}

export interface StoredRunManifest {
  key: string;
  manifest: RunManifest;
  /**
   * The verify task's verdict stored next to the manifest (verification.json). Absent when there
   * is none (never read back, or read back before verdicts were stored), and when it cannot be
   * read or does not parse, or names another run: unknown, never a reason to hide the backup.
   */
  verification?: RunVerification | undefined;
}

/** A manifest that exists but does not parse: it is reported, never half-imported. */
export interface InvalidRunManifest {
  key: string;
  reason: string;
}

export interface RunManifestListing {
  entries: StoredRunManifest[];
  invalid: InvalidRunManifest[];
}

export interface RunStore {
  /**
   * The run manifest of every run folder under `prefix` (which ends in "/"), with its verdict
   * where one is stored. A folder without a manifest is an unfinished run and is left out. A
   * missing bucket lists as empty.
   */
  listRunManifests(where: StorePlace & { prefix: string }, signal?: AbortSignal): Promise<RunManifestListing>;
  /** One run manifest; undefined when there is none. */
  readRunManifest(where: StorePlace & { key: string }, signal?: AbortSignal): Promise<StoredRunManifest | InvalidRunManifest | undefined>;
  /** Deletes every object under `prefix` and says how many went. A missing bucket holds nothing to delete. */
  deletePrefix(where: StorePlace & { prefix: string }, signal?: AbortSignal): Promise<number>;
  /**
   * Writes one object with a single PUT (a report: small, held in memory), replacing any object
   * of that key, and says what was written. The SHA-256 is of the bytes sent (a string as UTF-8).
   */
  writeObject(where: StorePlace, key: string, body: string | Buffer, contentType: string, signal?: AbortSignal): Promise<WrittenObject>;
}

export interface WrittenObject {
  sha256: string;
  sizeBytes: number;
}

/** A RunStore on a client the caller owns (and closes). */
export function runStoreOn(s3: S3Client): RunStore {
  const options = (signal?: AbortSignal) => (signal ? { abortSignal: signal } : {});

  /**
   * What each run folder directly under `prefix` holds of the two objects the catalog reads, from
   * one listing of every key under it (no delimiter): a folder holds its run manifest, the verdict
   * and a few objects per source, so a page of 1000 keys covers well over a hundred runs, and
   * only objects that exist are then read, one GET each. Deeper keys (a source's manifest) and
   * other names are not looked at. Folders come in key order.
   */
  async function runFolders(bucket: string, prefix: string, signal?: AbortSignal): Promise<Map<string, { manifest: boolean; verification: boolean }>> {
    const folders = new Map<string, { manifest: boolean; verification: boolean }>();
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }), options(signal));
      for (const { Key: key } of page.Contents ?? []) {
        const parts = key?.slice(prefix.length).split('/') ?? [];
        if (parts.length !== 2 || !parts[0] || (parts[1] !== MANIFEST_FILE && parts[1] !== VERIFICATION_FILE)) continue;
        const folder = folders.get(parts[0]) ?? { manifest: false, verification: false };
        if (parts[1] === MANIFEST_FILE) folder.manifest = true;
        else folder.verification = true;
        folders.set(parts[0], folder);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return folders;
  }

  /** The verdict, or undefined when it cannot be read, does not parse, or is not about `manifest`'s run. */
  async function readVerification(bucket: string, key: string, manifest: RunManifest, signal?: AbortSignal): Promise<RunVerification | undefined> {
    let text: string;
    try {
      const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), options(signal));
      text = (await response.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if (signal?.aborted) throw error;
      return undefined;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return undefined;
    }
    const parsed = RunVerification.safeParse(json);
    if (!parsed.success) return undefined;
    const { location } = parsed.data;
    const about = manifest.location;
    return location.namespace === about.namespace && location.schedule === about.schedule && location.run === about.run ? parsed.data : undefined;
  }

  async function readManifest(bucket: string, key: string, signal?: AbortSignal): Promise<StoredRunManifest | InvalidRunManifest | undefined> {
    let text: string;
    try {
      const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), options(signal));
      text = (await response.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    return parseManifest(key, text);
  }

  return {
    async listRunManifests(where, signal) {
      const listing: RunManifestListing = { entries: [], invalid: [] };
      try {
        for (const [folder, holds] of await runFolders(where.bucket, where.prefix, signal)) {
          if (!holds.manifest) continue;
          const read = await readManifest(where.bucket, `${where.prefix}${folder}/${MANIFEST_FILE}`, signal);
          if (read === undefined) continue;
          if (!('manifest' in read)) {
            listing.invalid.push(read);
            continue;
          }
          const verification = holds.verification ? await readVerification(where.bucket, `${where.prefix}${folder}/${VERIFICATION_FILE}`, read.manifest, signal) : undefined;
          listing.entries.push(verification ? { ...read, verification } : read);
        }
        return listing;
      } catch (error) {
        if ((error as { name?: string }).name === 'NoSuchBucket') return listing;
        throw storageFailure(error, place(where, where.prefix), 'reading the backup catalog under');
      }
    },

    async readRunManifest(where, signal) {
      try {
        return await readManifest(where.bucket, where.key, signal);
      } catch (error) {
        throw storageFailure(error, place(where, where.key), 'reading the run manifest');
      }
    },

    async deletePrefix(where, signal) {
      let deleted = 0;
      try {
        for (;;) {
          // Always list from the start: what was deleted no longer shows, so no token is needed.
          const page = await s3.send(new ListObjectsV2Command({ Bucket: where.bucket, Prefix: where.prefix, MaxKeys: 1000 }), options(signal));
          const keys = (page.Contents ?? []).flatMap((entry) => (entry.Key ? [{ Key: entry.Key }] : []));
          if (keys.length === 0) return deleted;
          const result = await s3.send(new DeleteObjectsCommand({ Bucket: where.bucket, Delete: { Objects: keys, Quiet: true } }), options(signal));
          const failed = result.Errors?.[0];
          if (failed) {
            throw new RunnerError('StorageUnavailable', `could not delete s3://${where.bucket}/${failed.Key ?? ''}: ${failed.Code ?? 'Error'} ${failed.Message ?? ''}`.trim());
          }
          deleted += keys.length;
        }
      } catch (error) {
        if (isNotFound(error)) return deleted;
        throw storageFailure(error, place(where, where.prefix), 'deleting the artifacts under');
      }
    },

    async writeObject(where, key, body, contentType, signal) {
      const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      // Content-MD5 makes the server refuse bytes damaged on the way; every S3 server checks it,
      // unlike the newer x-amz-checksum headers (the client sends those only when required).
      const md5 = createHash('md5').update(bytes).digest('base64');
      try {
        await s3.send(new PutObjectCommand({ Bucket: where.bucket, Key: key, Body: bytes, ContentType: contentType, ContentMD5: md5 }), options(signal));
      } catch (error) {
        throw storageFailure(error, place(where, key), 'writing');
      }
      return { sha256: createHash('sha256').update(bytes).digest('hex'), sizeBytes: bytes.length };
    },
  };
}

/** A RunStore with its own client for `endpoint`; close() releases the client's connections. */
export function openRunStore(endpoint: S3Endpoint, options: S3ClientOptions = {}): RunStore & { close(): void } {
  const s3 = createS3Client(endpoint, options);
  return { ...runStoreOn(s3), close: () => s3.destroy() };
}

function place(where: StorePlace, key: string): { bucket: string; key: string; endpoint?: string } {
  return where.endpoint ? { bucket: where.bucket, key, endpoint: where.endpoint } : { bucket: where.bucket, key };
}

function parseManifest(key: string, text: string): StoredRunManifest | InvalidRunManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { key, reason: 'not valid JSON' };
  }
  const parsed = RunManifest.safeParse(json);
  if (parsed.success) return { key, manifest: parsed.data };
  const issue = parsed.error.issues[0];
  return { key, reason: issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid' };
}
