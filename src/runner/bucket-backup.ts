// bucket-backup: list the source bucket -> fetch objects in parallel, in order (bucket-fetch)
// -> one pax tar stream (src/archive) -> compress, encrypt, hash, multipart upload
// (writeArtifact) -> manifest with every object's key, size, ETag and SHA-256. Nothing
// touches the local disk, and memory stays flat whatever the object sizes.
import { Readable } from 'node:stream';
import { type ObjectToArchive, writeBucketArchive } from '../archive/bucket-archive.ts';
import { artifactDataKey } from '../contract/bucket-layout.ts';
import type { ArtifactManifest, BucketArtifactInfo } from '../contract/manifests.ts';
import type { BucketBackupTask } from '../contract/tasks.ts';
import { RunnerError } from '../failures/runner-error.ts';
import { requireBucket } from '../s3/bucket.ts';
import { storageFailure } from '../s3/errors.ts';
import { writeArtifact, type WrittenArtifact } from './artifact-writer.ts';
import { fetchInOrder, type FetchedObject } from './bucket-fetch.ts';
import { listObjects, type ListedObject } from './bucket-listing.ts';
import { compressionExtension } from './compression.ts';
import type { RunnerContext, TaskSummary } from './context.ts';
import { Sha256Counter } from './hashing.ts';
import { resolveRecipients } from './keys.ts';
import { storedArtifact, writeArtifactManifest } from './manifest.ts';
import { baseTools } from './versions.ts';

/**
 * Memory budget: peak RSS must stay under 256 MB with a 300 MB object among 20,000 small ones
 * (bench/runner-bucket-memory.ts). The compiled runner idles at about 100 MB RSS (Node, the
 * AWS SDK, pino, zod) and V8's heap takes 50-100 MB more under load, so the data in flight
 * is kept small: at most readAheadBytes fetched ahead of the tar stream (as ranges of
 * rangeBytes for large objects, so several GETs still work on one object) and about
 * uploadPartBytes x (uploadQueueSize + 2) in the upload.
 */
export const BUCKET_BACKUP_TUNING = {
  readAheadBytes: 8 * 1024 * 1024,
  rangeBytes: 2 * 1024 * 1024,
  uploadPartBytes: 5 * 1024 * 1024,
  uploadQueueSize: 2,
};

type ObjectRecord = NonNullable<BucketArtifactInfo['objects']>[number];

export function bucketArtifactFileName(task: Pick<BucketBackupTask, 'compression'>, encrypted: boolean): string {
  return `bucket.tar${compressionExtension(task.compression)}${encrypted ? '.age' : ''}`;
}

export async function runBucketBackup(task: BucketBackupTask, ctx: RunnerContext): Promise<TaskSummary> {
  const startedAt = ctx.now();
  const storage = ctx.s3(task.storage);
  const source = ctx.s3(task.source);
  const storageWhere = { bucket: task.storage.bucket, ...(task.storage.endpoint ? { endpoint: task.storage.endpoint } : {}) };
  const sourceWhere = { bucket: task.source.bucket, ...(task.source.endpoint ? { endpoint: task.source.endpoint } : {}) };
  const recipients = await resolveRecipients(task.encryption, ctx.env);
  await requireBucket(storage, task.storage.bucket, task.storage.endpoint, ctx.signal);
  await requireBucket(source, task.source.bucket, task.source.endpoint, ctx.signal).catch((error: unknown) => {
    if (error instanceof RunnerError && error.code === 'BucketMissing') {
      throw new RunnerError('BucketMissing', `source ${error.message}`);
    }
    throw error;
  });

  const key = artifactDataKey(task.storage.prefix, task.location, bucketArtifactFileName(task, recipients.length > 0));
  const log = ctx.logger.child({ sourceBucket: task.source.bucket, prefix: task.source.prefix, key });
  // The archive holds the objects as they were when each was read, from this instant on.
  const snapshotTime = ctx.now();
  const objects: ObjectRecord[] = [];
  const vanished: string[] = [];

  ctx.progress.phase('archive');
  const listing = listObjects(source, { bucket: task.source.bucket, prefix: task.source.prefix, signal: ctx.signal });
  const fetched = fetchInOrder(ctx.objects(task.source), listing, {
    ...sourceWhere,
    concurrency: task.concurrency,
    readAheadBytes: BUCKET_BACKUP_TUNING.readAheadBytes,
    rangeBytes: BUCKET_BACKUP_TUNING.rangeBytes,
    signal: ctx.signal,
    onVanished: (listed: ListedObject) => {
      vanished.push(listed.key);
      log.warn({ objectKey: listed.key }, 'object deleted since the listing; not in the backup');
    },
  });
  // Chunks pass on as they are: a byte-mode stream would join whatever it had buffered into new
  // buffers (a copy of most of the data, and garbage to collect).
  const archive = Readable.from(writeBucketArchive(recordObjects(fetched, objects, ctx)), { highWaterMark: 2 });

  let written: WrittenArtifact;
  try {
    written = await writeArtifact(storage, {
      bucket: task.storage.bucket,
      key,
      source: archive,
      compression: task.compression,
      ...(task.compressionLevel ? { compressionLevel: task.compressionLevel } : {}),
      ...(recipients.length > 0 ? { encryption: { recipients } } : {}),
      signal: ctx.signal,
      partSizeBytes: task.upload.partSizeBytes ?? BUCKET_BACKUP_TUNING.uploadPartBytes,
      queueSize: task.upload.queueSize ?? BUCKET_BACKUP_TUNING.uploadQueueSize,
    });
  } catch (error) {
    // Source-side failures arrive already described (RunnerError); anything else failed the upload.
    throw error instanceof RunnerError ? error : storageFailure(error, { ...storageWhere, key }, 'uploading');
  }
  const progress = ctx.progress.finish();
  const totalBytes = objects.reduce((sum, object) => sum + object.sizeBytes, 0);

  const manifest: ArtifactManifest = {
    formatVersion: 1,
    kind: 'bucket',
    location: task.location,
    startedAt: startedAt.toISOString(),
    completedAt: ctx.now().toISOString(),
    snapshotTime: snapshotTime.toISOString(),
    tools: baseTools(),
    artifact: storedArtifact(written, recipients),
    bucket: {
      ...(task.source.endpoint ? { endpoint: task.source.endpoint } : {}),
      bucket: task.source.bucket,
      prefix: task.source.prefix,
      objectCount: objects.length,
      totalBytes,
      objects,
    },
  };
  let manifestKey: string;
  try {
    manifestKey = await writeArtifactManifest(storage, task.storage, manifest, ctx.signal);
  } catch (error) {
    throw storageFailure(error, storageWhere, 'writing the manifest to');
  }
  log.info({ objects: objects.length, totalBytes, sizeBytes: written.sizeBytes, sha256: written.sha256, manifestKey }, 'backup complete');

  return {
    key: written.key,
    manifestKey,
    sizeBytes: written.sizeBytes,
    sha256: written.sha256,
    encrypted: written.encrypted,
    objects: objects.length,
    objectBytes: totalBytes,
    vanishedObjects: vanished.length,
    snapshotTime: manifest.snapshotTime,
    durationSeconds: progress.elapsedSeconds,
  };
}

/**
 * Passes the objects on to the archive, hashing each body as it streams past and recording
 * the object for the manifest once its last byte has gone into the archive.
 */
async function* recordObjects(
  fetched: AsyncIterable<FetchedObject>,
  records: ObjectRecord[],
  ctx: Pick<RunnerContext, 'progress'>,
): AsyncGenerator<ObjectToArchive> {
  for await (const { object, body } of fetched) {
    let path = '';
    const record = (hash: Sha256Counter): void => {
      const entry: ObjectRecord = { key: object.key, sizeBytes: hash.sizeBytes, sha256: hash.digest(), path };
      if (object.etag !== undefined) entry.etag = object.etag;
      records.push(entry);
      ctx.progress.addObjects(1);
    };
    // An object that came whole (every small one) is hashed in one go, without an async step
    // per chunk: with 20,000 objects those steps were a visible share of the runner's CPU.
    const whole = function* (chunks: Buffer[]) {
      const hash = new Sha256Counter();
      for (const chunk of chunks) hash.update(chunk);
      ctx.progress.addBytes(hash.sizeBytes);
      yield* chunks;
      record(hash);
    };
    const streamed = async function* (chunks: AsyncIterable<Buffer>) {
      const hash = new Sha256Counter();
      for await (const chunk of chunks) {
        hash.update(chunk);
        ctx.progress.addBytes(chunk.length);
        yield chunk;
      }
      record(hash);
    };
    const hashed = Array.isArray(body) ? whole(body) : streamed(body);
    yield { object, body: hashed, onPath: (chosen) => (path = chosen) };
  }
}
