// bucket-restore: manifest -> target bucket (created if missing) -> overwrite check ->
// download, verify, decrypt, decompress (openArtifact) -> untar -> PUT each object, many at
// once, with its content type, headers and user metadata. Keys from the archive are object
// keys, never file paths: nothing from the archive is written to the local file system.
//
// Overwrite policies:
// - Overwrite: every object is written.
// - Skip: objects whose key exists in the target are left alone (found by listing the target
//   first; the single PUTs of small objects are conditional, If-None-Match: *, so they also
//   spare keys created while the restore runs).
// - Fail: if any key to be written exists, the restore fails BEFORE writing anything, so a
//   failed restore never leaves a half-merged bucket. A small object created in the target
//   during the restore is caught by the conditional PUT and fails the restore then; a large
//   one (multipart upload, which has no such condition here) is overwritten.
//
// The restore counts as done only once the whole artifact's SHA-256 has matched: the artifact
// reader holds back the archive's last bytes until then, and every object's own SHA-256 is
// checked against the manifest as well.
import { Readable } from 'node:stream';
import { readBucketArchive } from '../archive/bucket-archive.ts';
import type { ArchivedObject } from '../archive/object-entry.ts';
import { TarFormatError } from '../archive/pax.ts';
import type { ArtifactManifest } from '../contract/manifests.ts';
import type { BucketRestoreTask } from '../contract/tasks.ts';
import { ChecksumMismatchError, RunnerError } from '../failures/runner-error.ts';
import { bucketExists, createBucket } from '../s3/bucket.ts';
import { isStorageError, storageFailure } from '../s3/errors.ts';
import { openArtifact } from './artifact-reader.ts';
import { BoundedPutQueue } from './bucket-put-queue.ts';
import { putBufferedObject, putStreamedObject, type PutTarget } from './bucket-put.ts';
import { existingTargetKeys, keyMapper } from './bucket-restore-plan.ts';
import type { RunnerContext, TaskSummary } from './context.ts';
import { Sha256Counter } from './hashing.ts';
import { resolveIdentities } from './keys.ts';
import { readArtifactManifest } from './manifest.ts';

type BucketManifest = Extract<ArtifactManifest, { kind: 'bucket' }>;

export const BUCKET_RESTORE_TUNING = {
  /** Objects up to this size are read into memory and sent with one PUT. */
  multipartThresholdBytes: 8 * 1024 * 1024,
  /** Bytes held by PUTs in flight. */
  inFlightBytes: 32 * 1024 * 1024,
  multipartPartBytes: 8 * 1024 * 1024,
  multipartQueueSize: 4,
};

export async function runBucketRestore(task: BucketRestoreTask, ctx: RunnerContext): Promise<TaskSummary> {
  const started = performance.now();
  const storage = ctx.s3(task.storage);
  const storageWhere = { bucket: task.storage.bucket, ...(task.storage.endpoint ? { endpoint: task.storage.endpoint } : {}) };
  const manifest = await readArtifactManifest(storage, task.storage, task.artifact, ctx.signal).catch((error: unknown) => {
    throw storageFailure(error, storageWhere, 'reading the manifest from');
  });
  if (manifest.kind !== 'bucket') {
    throw new RunnerError('InvalidTask', `artifact ${task.artifact.source} is a ${manifest.kind} backup, not a bucket one`);
  }
  const identities = manifest.artifact.encryption ? resolveIdentities(task.decryption, ctx.env) : [];
  const targetWhere = { bucket: task.target.bucket, ...(task.target.endpoint ? { endpoint: task.target.endpoint } : {}) };
  const target: PutTarget = { client: ctx.s3(task.target), ...targetWhere, signal: ctx.signal };
  const log = ctx.logger.child({ artifact: manifest.artifact.key, targetBucket: task.target.bucket, overwritePolicy: task.overwritePolicy });

  const createdBucket = await prepareTargetBucket(task, target);
  const mapKey = keyMapper(task, manifest.bucket);
  const existing =
    task.overwritePolicy === 'Overwrite'
      ? new Set<string>()
      : await existingTargetKeys(target.client, target.bucket, manifest.bucket, mapKey, ctx.signal).catch((error: unknown) => {
          throw storageFailure(error, targetWhere, 'listing');
        });
  if (task.overwritePolicy === 'Fail' && existing.size > 0) {
    const first = [...existing][0] as string;
    throw new RunnerError(
      'TargetNotEmpty',
      `${existing.size} of the objects to restore already exist in bucket ${task.target.bucket} (e.g. ${JSON.stringify(first.slice(0, 200))}) and overwritePolicy is Fail; nothing was written; set overwritePolicy to Skip to keep the existing objects or Overwrite to replace them, or restore into another bucket or prefix (prefixRemap)`,
    );
  }
  log.info({ createdBucket, existing: existing.size }, 'target ready');

  ctx.progress.phase('restore', { objects: manifest.bucket.objectCount, bytes: manifest.bucket.totalBytes });
  const counts = await restoreObjects(task, ctx, manifest, identities, target, (key) => {
    const mapped = mapKey(key);
    return existing.has(mapped) ? undefined : mapped;
  });
  const progress = ctx.progress.finish();
  log.info({ ...counts }, 'restore complete');
  return {
    targetBucket: task.target.bucket,
    createdBucket,
    objects: counts.written,
    skippedObjects: counts.skipped,
    bytes: counts.bytes,
    // The stored artifact's size (compressed, encrypted), as postgres-restore reports it.
    sizeBytes: manifest.artifact.sizeBytes,
    sha256: manifest.artifact.sha256,
    durationSeconds: Math.round(performance.now() - started) / 1000,
    restoreSeconds: progress.elapsedSeconds,
  };
}

async function prepareTargetBucket(task: BucketRestoreTask, target: PutTarget): Promise<boolean> {
  const where = { bucket: target.bucket, ...(target.endpoint ? { endpoint: target.endpoint } : {}) };
  try {
    if (await bucketExists(target.client, target.bucket, target.signal)) return false;
    if (!task.createBucket) {
      throw new RunnerError(
        'BucketMissing',
        `target bucket ${target.bucket} does not exist${target.endpoint ? ` at ${target.endpoint}` : ''} and createBucket is false`,
      );
    }
    return (await createBucket(target.client, target.bucket, target.signal)) === 'created';
  } catch (error) {
    throw storageFailure(error, where, 'preparing the target bucket');
  }
}

interface RestoreCounts {
  written: number;
  skipped: number;
  bytes: number;
}

async function restoreObjects(
  task: BucketRestoreTask,
  ctx: RunnerContext,
  manifest: BucketManifest,
  identities: string[],
  target: PutTarget,
  /** The target key, or undefined to skip the object. */
  targetKeyOf: (key: string) => string | undefined,
): Promise<RestoreCounts> {
  const tuning = BUCKET_RESTORE_TUNING;
  const expected = new Map((manifest.bucket.objects ?? []).map((object) => [object.key, object.sha256]));
  const counts: RestoreCounts = { written: 0, skipped: 0, bytes: 0 };
  // Stops the writes in flight on failure; the artifact read has its own life (explainFailure).
  const stop = new AbortController();
  const putTarget = { ...target, signal: AbortSignal.any([ctx.signal, stop.signal]) };
  const ifAbsent = task.overwritePolicy !== 'Overwrite';
  const queue = new BoundedPutQueue(task.concurrency, tuning.inFlightBytes);
  const archive = openArtifact(ctx.s3(task.storage), {
    bucket: task.storage.bucket,
    artifact: manifest.artifact,
    identities,
    signal: ctx.signal,
  });

  const record = (object: ArchivedObject, key: string, outcome: 'written' | 'exists'): void => {
    if (outcome === 'exists') {
      if (task.overwritePolicy === 'Fail') {
        throw new RunnerError('TargetNotEmpty', `object ${JSON.stringify(key)} appeared in bucket ${target.bucket} during the restore; overwritePolicy is Fail`);
      }
      counts.skipped += 1;
    } else {
      counts.written += 1;
      counts.bytes += object.size;
      ctx.progress.addBytes(object.size);
    }
    ctx.progress.addObjects(1);
  };

  // The tar reader must not close the artifact stream when it fails: explainFailure() may
  // still read it to the end for the artifact's checksum verdict.
  const archiveBytes = archive[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const unclosable: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => ({ next: () => archiveBytes.next() }) };

  try {
    for await (const entry of readBucketArchive(unclosable)) {
      const { object } = entry;
      const key = targetKeyOf(object.key);
      if (key === undefined) {
        counts.skipped += 1;
        ctx.progress.addObjects(1);
        continue; // the reader skips the unread body
      }
      const checked = checkedBody(entry.body, object, expected.get(object.key));
      if (object.size <= tuning.multipartThresholdBytes) {
        const body = await collect(checked);
        await queue.run(body.length, async () => record(object, key, await putBufferedObject(putTarget, key, object, body, { ifAbsent })));
      } else {
        // Streamed: the next entry can only be read once this body has been uploaded.
        const outcome = await putStreamedObject(putTarget, key, object, Readable.from(checked, { objectMode: false }), {
          partSizeBytes: tuning.multipartPartBytes,
          queueSize: tuning.multipartQueueSize,
        });
        record(object, key, outcome);
      }
    }
    await queue.drain();
  } catch (error) {
    stop.abort(error);
    await queue.settle();
    throw await explainFailure(error, archiveBytes, task, manifest.artifact.key);
  } finally {
    archive.destroy();
  }
  return counts;
}

/** The body, failing at its end if its SHA-256 differs from the manifest's. */
async function* checkedBody(body: AsyncIterable<Buffer>, object: ArchivedObject, sha256: string | undefined): AsyncGenerator<Buffer> {
  const hash = new Sha256Counter();
  for await (const chunk of body) {
    hash.update(chunk);
    yield chunk;
  }
  if (sha256 !== undefined && hash.digest() !== sha256) {
    throw new RunnerError('ArtifactCorrupt', `object ${JSON.stringify(object.key)} in the archive does not match its SHA-256 in the manifest`);
  }
}

async function collect(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}

/**
 * A broken archive (bad tar, an object not matching its hash) is usually a corrupt artifact:
 * read the rest so the artifact reader can say so with its checksum verdict, which names
 * the real cause better than the symptom the tar reader hit first.
 */
async function explainFailure(error: unknown, archive: AsyncIterator<Buffer>, task: BucketRestoreTask, artifactKey: string): Promise<unknown> {
  const symptom = error instanceof TarFormatError || (error instanceof RunnerError && error.code === 'ArtifactCorrupt');
  if (symptom) {
    try {
      while (!(await archive.next()).done);
    } catch (verdict) {
      if (verdict instanceof ChecksumMismatchError || verdict instanceof RunnerError) return verdict;
    }
  }
  if (error instanceof RunnerError) return error;
  if (error instanceof TarFormatError) {
    return new RunnerError('ArtifactCorrupt', `artifact s3://${task.storage.bucket}/${artifactKey} is not a valid bucket archive: ${error.message}`, {
      cause: error,
    });
  }
  if (isStorageError(error)) {
    return storageFailure(error, { bucket: task.storage.bucket, ...(task.storage.endpoint ? { endpoint: task.storage.endpoint } : {}) }, 'reading the artifact from');
  }
  return error;
}
