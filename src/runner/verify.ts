// verify: re-reads stored artifacts and compares their SHA-256 and size with the manifests.
// Needs no key: the hash covers the stored (encrypted) bytes.
import type { S3Client } from '@aws-sdk/client-s3';
import type { StoredArtifact } from '../contract/manifests.ts';
import type { VerifyTask } from '../contract/tasks.ts';
import { ChecksumMismatchError, RunnerError } from '../failures/runner-error.ts';
import { readObjectRanges } from '../s3/download.ts';
import { storageFailure } from '../s3/errors.ts';
import type { RunnerContext, TaskSummary } from './context.ts';
import { Sha256Counter } from './hashing.ts';
import { ManifestNotFoundError, readArtifactManifest, readRunManifest } from './manifest.ts';

export async function runVerify(task: VerifyTask, ctx: RunnerContext): Promise<TaskSummary> {
  const s3 = ctx.s3(task.storage);
  const where = { bucket: task.storage.bucket, ...(task.storage.endpoint ? { endpoint: task.storage.endpoint } : {}) };
  const { source, ...run } = task.location;
  let sources: string[];
  try {
    sources = source ? [source] : (await readRunManifest(s3, task.storage, run, ctx.signal)).sources.map((entry) => entry.name);
  } catch (error) {
    if (error instanceof ManifestNotFoundError) throw new RunnerError('ManifestMissing', error.message);
    throw storageFailure(error, where, 'reading the run manifest from');
  }

  const verified: { source: string; sizeBytes: number; sha256: string }[] = [];
  for (const name of sources) {
    const manifest = await readArtifactManifest(s3, task.storage, { ...run, source: name }, ctx.signal).catch((error: unknown) => {
      if (error instanceof ManifestNotFoundError) throw new RunnerError('ManifestMissing', error.message);
      throw storageFailure(error, where, 'reading the manifest from');
    });
    ctx.progress.phase(`verify ${name}`, { bytes: manifest.artifact.sizeBytes });
    await verifyStoredArtifact(s3, task.storage.bucket, manifest.artifact, ctx);
    ctx.progress.finish();
    verified.push({ source: name, sizeBytes: manifest.artifact.sizeBytes, sha256: manifest.artifact.sha256 });
    ctx.logger.info({ source: name, key: manifest.artifact.key }, 'artifact verified');
  }
  return { verified };
}

export async function verifyStoredArtifact(
  s3: S3Client,
  bucket: string,
  artifact: Pick<StoredArtifact, 'key' | 'sizeBytes' | 'sha256'>,
  ctx: Pick<RunnerContext, 'signal' | 'progress'>,
): Promise<void> {
  const counter = new Sha256Counter();
  try {
    for await (const chunk of readObjectRanges(s3, { bucket, key: artifact.key, signal: ctx.signal })) {
      counter.update(chunk as Buffer);
      ctx.progress.addBytes((chunk as Buffer).length);
    }
  } catch (error) {
    throw storageFailure(error, { bucket, key: artifact.key }, 'reading');
  }
  const actual = { sha256: counter.digest(), sizeBytes: counter.sizeBytes };
  if (actual.sha256 !== artifact.sha256 || actual.sizeBytes !== artifact.sizeBytes) {
    throw new ChecksumMismatchError(`artifact s3://${bucket}/${artifact.key}`, artifact, actual);
  }
}
