// verify: re-reads stored artifacts and compares their SHA-256 and size with the manifests.
// Needs no key: the hash covers the stored (encrypted) bytes.
//
// It also leaves its verdict next to the run manifest (verification.json, RunVerification), for
// whoever finds the run through the bucket alone: a drill skips a run known to be bad, catalog
// sync marks it failed. A whole run (no `location.source`) gets a verdict either way; a check of
// one source records only a failure (one good source says nothing about the others). A
// read-back that could not finish (storage unreachable, cancelled) leaves none: it proved
// nothing about the data. Writing the verdict never changes the task's own outcome: a checksum
// mismatch fails the Job as a checksum mismatch even when the verdict cannot be stored.
import type { S3Client } from '@aws-sdk/client-s3';
import { VERIFICATION_FORMAT_VERSION, type RunVerification, type StoredArtifact } from '../contract/manifests.ts';
import type { VerifyTask } from '../contract/tasks.ts';
import { ChecksumMismatchError, RunnerError } from '../failures/runner-error.ts';
import { readObjectRanges } from '../s3/download.ts';
import { isNotFound, storageFailure } from '../s3/errors.ts';
import type { RunnerContext, TaskSummary } from './context.ts';
import { Sha256Counter } from './hashing.ts';
import { ManifestNotFoundError, readArtifactManifest, readRunManifest, writeRunVerification } from './manifest.ts';

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
  const record = (verdict: Pick<RunVerification, 'verified' | 'failure'>) =>
    storeVerdict(s3, task, ctx, { formatVersion: VERIFICATION_FORMAT_VERSION, location: run, checkedAt: ctx.now().toISOString(), checked: verified.map((entry) => entry.source), ...verdict });
  for (const name of sources) {
    let key: string | undefined;
    try {
      const manifest = await readArtifactManifest(s3, task.storage, { ...run, source: name }, ctx.signal).catch((error: unknown) => {
        if (error instanceof ManifestNotFoundError) throw new RunnerError('ManifestMissing', error.message);
        throw storageFailure(error, where, 'reading the manifest from');
      });
      key = manifest.artifact.key;
      ctx.progress.phase(`verify ${name}`, { bytes: manifest.artifact.sizeBytes });
      await verifyStoredArtifact(s3, task.storage.bucket, manifest.artifact, ctx);
      ctx.progress.finish();
      verified.push({ source: name, sizeBytes: manifest.artifact.sizeBytes, sha256: manifest.artifact.sha256 });
      ctx.logger.info({ source: name, key: manifest.artifact.key }, 'artifact verified');
    } catch (error) {
      const code = ctx.signal.aborted ? undefined : dataFailureCode(error);
      if (code) await record({ verified: false, failure: { source: name, ...(key ? { key } : {}), code, reason: oneLine((error as Error).message) } });
      throw error;
    }
  }
  if (!source) await record({ verified: true });
  return { verified };
}

/**
 * The failures that prove the stored backup bad, as the verdict names them: its bytes differ
 * from the manifest, or an artifact or its manifest is gone or unreadable. Undefined for the rest
 * (storage unreachable, access denied...): those say nothing about the data.
 */
function dataFailureCode(error: unknown): string | undefined {
  if (!(error instanceof RunnerError)) return undefined;
  if (error.code === 'ChecksumMismatch' || error.code === 'ArtifactCorrupt' || error.code === 'ManifestMissing') return error.code;
  const cause = error.cause as { name?: string } | undefined;
  if (error.code === 'StorageUnavailable' && cause?.name !== 'NoSuchBucket' && isNotFound(cause)) return 'ArtifactMissing';
  return undefined;
}

/** Writes the verdict; a failure to is logged, never thrown (the read-back's own outcome stands). */
async function storeVerdict(s3: S3Client, task: VerifyTask, ctx: RunnerContext, verdict: RunVerification): Promise<void> {
  try {
    const key = await writeRunVerification(s3, task.storage, verdict, ctx.signal);
    ctx.logger.info({ key, verified: verdict.verified }, 'verdict stored');
  } catch (error) {
    const failure = storageFailure(error, { bucket: task.storage.bucket, ...(task.storage.endpoint ? { endpoint: task.storage.endpoint } : {}) }, 'writing the verdict to');
    ctx.logger.warn({ verified: verdict.verified, reason: failure.message }, 'could not store the verdict; drills and catalog sync will treat this run as never verified');
  }
}

function oneLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 1024 ? `${line.slice(0, 1023)}…` : line;
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
