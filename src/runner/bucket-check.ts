// bucket-check: a drill's verification of a restored bucket against its backup. The expected
// objects (key, size, SHA-256) come from the artifact's manifest, which bucket-backup writes
// with every object's SHA-256; a manifest without them (an older or foreign writer) is not
// trusted to say what the bucket held, and the archive itself is read instead (download,
// verify, decrypt, decompress, untar, hash each body). The target is listed once; every
// expected key found there with the expected size is read back (GETs with bounded
// parallelism, the runner's lean object reader) and hashed. Nothing is written anywhere.
import { readBucketArchive } from '../archive/bucket-archive.ts';
import { TarFormatError } from '../archive/pax.ts';
import type { ArtifactManifest } from '../contract/manifests.ts';
import type { BucketCheckTask } from '../contract/tasks.ts';
import { RunnerError } from '../failures/runner-error.ts';
import { isNotFound, isStorageError, storageFailure, type S3Where } from '../s3/errors.ts';
import type { GetObject } from '../s3/object-reader.ts';
import { openArtifact } from './artifact-reader.ts';
import { compareBucket, describeComparison, objectsToHash, type ExpectedObject } from './bucket-compare.ts';
import { listObjects } from './bucket-listing.ts';
import { keyMapper } from './bucket-restore-plan.ts';
import type { RunnerContext, TaskSummary } from './context.ts';
import { Sha256Counter } from './hashing.ts';
import { resolveIdentities } from './keys.ts';
import { readArtifactManifest } from './manifest.ts';

type BucketManifest = Extract<ArtifactManifest, { kind: 'bucket' }>;

export async function runBucketCheck(task: BucketCheckTask, ctx: RunnerContext): Promise<TaskSummary> {
  const started = performance.now();
  const storageWhere = where(task.storage.bucket, task.storage.endpoint);
  const targetWhere = where(task.target.bucket, task.target.endpoint);
  const manifest = await readArtifactManifest(ctx.s3(task.storage), task.storage, task.artifact, ctx.signal).catch((error: unknown) => {
    throw storageFailure(error, storageWhere, 'reading the manifest from');
  });
  if (manifest.kind !== 'bucket') {
    throw new RunnerError('InvalidTask', `artifact ${task.artifact.source} is a ${manifest.kind} backup, not a bucket one`);
  }
  const log = ctx.logger.child({ artifact: manifest.artifact.key, targetBucket: task.target.bucket });

  const fromManifest = manifestObjects(manifest);
  const recorded = fromManifest ?? (await archiveObjects(task, ctx, manifest));
  log.info({ objects: recorded.length, expectedFrom: fromManifest ? 'manifest' : 'archive' }, 'expected objects known');

  const mapKey = keyMapper(task, manifest.bucket);
  const expected = new Map<string, ExpectedObject>();
  for (const object of recorded) expected.set(mapKey(object.sourceKey), object);

  const listed = new Map<string, number>();
  try {
    for await (const object of listObjects(ctx.s3(task.target), { bucket: task.target.bucket, prefix: task.target.prefix, signal: ctx.signal })) {
      listed.set(object.key, object.size);
    }
  } catch (error) {
    throw storageFailure(error, targetWhere, 'listing');
  }

  const keys = objectsToHash(expected, listed);
  const bytes = keys.reduce((sum, key) => sum + (listed.get(key) ?? 0), 0);
  ctx.progress.phase('check', { objects: keys.length, bytes });
  const hashed = await hashObjects(ctx.objects(task.target), targetWhere, keys, task.concurrency, ctx);
  const progress = ctx.progress.finish();

  const comparison = compareBucket(expected, listed, hashed);
  const summary: TaskSummary = {
    ...comparison,
    targetBucket: task.target.bucket,
    expectedFrom: fromManifest ? 'manifest' : 'archive',
    bytesRead: bytes,
    durationSeconds: Math.round(performance.now() - started) / 1000,
    checkSeconds: progress.elapsedSeconds,
  };
  log.info({ passed: comparison.passed, objectCount: comparison.objectCount, mismatched: comparison.mismatched, missing: comparison.missing, extra: comparison.extra }, 'bucket checked');
  if (!comparison.passed) {
    throw new RunnerError('CheckFailed', describeComparison(task.target.bucket, comparison), { details: summary });
  }
  return summary;
}

function where(bucket: string, endpoint: string | undefined): S3Where {
  return endpoint ? { bucket, endpoint } : { bucket };
}

/** The manifest's object list, when it names every object with its SHA-256. */
export function manifestObjects(manifest: BucketManifest): ExpectedObject[] | undefined {
  const { objects, objectCount } = manifest.bucket;
  if (!objects || objects.length !== objectCount) return undefined;
  const expected: ExpectedObject[] = [];
  for (const object of objects) {
    if (object.sha256 === undefined) return undefined;
    expected.push({ sourceKey: object.key, sizeBytes: object.sizeBytes, sha256: object.sha256 });
  }
  return expected;
}

/** Every object in the archive, hashed as it streams past; the artifact's own checksum is
 *  verified before the last entry is seen. */
async function archiveObjects(task: BucketCheckTask, ctx: RunnerContext, manifest: BucketManifest): Promise<ExpectedObject[]> {
  const identities = manifest.artifact.encryption ? resolveIdentities(task.decryption, ctx.env) : [];
  ctx.progress.phase('read archive', { bytes: manifest.artifact.sizeBytes });
  const archive = openArtifact(ctx.s3(task.storage), {
    bucket: task.storage.bucket,
    artifact: manifest.artifact,
    identities,
    signal: ctx.signal,
    onStoredBytes: (count) => ctx.progress.addBytes(count),
  });
  const objects: ExpectedObject[] = [];
  try {
    for await (const entry of readBucketArchive(archive)) {
      const hash = new Sha256Counter();
      for await (const chunk of entry.body) hash.update(chunk);
      objects.push({ sourceKey: entry.object.key, sizeBytes: hash.sizeBytes, sha256: hash.digest() });
    }
  } catch (error) {
    if (error instanceof RunnerError) throw error;
    if (error instanceof TarFormatError) {
      throw new RunnerError('ArtifactCorrupt', `artifact s3://${task.storage.bucket}/${manifest.artifact.key} is not a valid bucket archive: ${error.message}`, {
        cause: error,
      });
    }
    if (isStorageError(error)) throw storageFailure(error, { ...where(task.storage.bucket, task.storage.endpoint), key: manifest.artifact.key }, 'reading');
    throw error;
  } finally {
    archive.destroy();
  }
  ctx.progress.finish();
  return objects;
}

/**
 * SHA-256 of each key's body, `concurrency` GETs at a time; undefined for an object gone by
 * the time it was read. The first failure stops the others.
 */
async function hashObjects(
  get: GetObject,
  target: S3Where,
  keys: readonly string[],
  concurrency: number,
  ctx: Pick<RunnerContext, 'signal' | 'progress'>,
): Promise<Map<string, string | undefined>> {
  const hashed = new Map<string, string | undefined>();
  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < keys.length && !signal.aborted) {
      const key = keys[next++] as string;
      hashed.set(key, await hashObject(get, target, key, signal, ctx.progress));
    }
  };
  const workers = Array.from({ length: Math.min(concurrency, keys.length) }, () =>
    worker().catch((error: unknown) => {
      stop.abort(error);
      throw error;
    }),
  );
  const settled = await Promise.allSettled(workers);
  ctx.signal.throwIfAborted();
  const failed = settled.find((outcome) => outcome.status === 'rejected');
  // The first failure is the cause; the others are the stop it caused.
  if (failed) throw stop.signal.reason ?? failed.reason;
  return hashed;
}

async function hashObject(
  get: GetObject,
  target: S3Where,
  key: string,
  signal: AbortSignal,
  progress: RunnerContext['progress'],
): Promise<string | undefined> {
  const hash = new Sha256Counter();
  try {
    const response = await get({ bucket: target.bucket, key, signal });
    for await (const chunk of response.body) {
      hash.update(chunk);
      progress.addBytes(chunk.length);
    }
  } catch (error) {
    if (isNotFound(error) && (error as { name?: string }).name !== 'NoSuchBucket') return undefined;
    throw storageFailure(error, { ...target, key }, 'reading');
  }
  progress.addObjects(1);
  return hash.digest();
}
