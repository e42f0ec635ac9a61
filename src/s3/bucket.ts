// Bucket-level operations: existence checks (to fail before any work starts), and creating
// and emptying buckets (restore targets and drill scratch buckets).
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketTaggingCommand,
  HeadBucketCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutBucketTaggingCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { RunnerError } from '../failures/runner-error.ts';
import { isNotFound, storageFailure } from './errors.ts';

export async function bucketExists(client: S3Client, bucket: string, signal?: AbortSignal): Promise<boolean> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }), signal ? { abortSignal: signal } : {});
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** Fails with BucketMissing (or the reason S3 cannot be used) before any data moves. */
export async function requireBucket(client: S3Client, bucket: string, endpoint: string | undefined, signal?: AbortSignal): Promise<void> {
  const where = endpoint ? { bucket, endpoint } : { bucket };
  let exists: boolean;
  try {
    exists = await bucketExists(client, bucket, signal);
  } catch (error) {
    throw storageFailure(error, where, 'checking bucket');
  }
  if (!exists) {
    throw new RunnerError('BucketMissing', `bucket ${bucket} does not exist${endpoint ? ` at ${endpoint}` : ''}`);
  }
}

export async function createBucket(client: S3Client, bucket: string, signal?: AbortSignal): Promise<'created' | 'existed'> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }), signal ? { abortSignal: signal } : {});
    return 'created';
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'BucketAlreadyOwnedByYou') return 'existed';
    throw error;
  }
}

export async function isBucketEmpty(client: S3Client, bucket: string, signal?: AbortSignal): Promise<boolean> {
  const page = await client.send(
    new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1 }),
    signal ? { abortSignal: signal } : {},
  );
  return (page.KeyCount ?? 0) === 0;
}

/** Deletes every object (and every version, on a versioned bucket), then the bucket. */
export async function deleteBucket(client: S3Client, bucket: string, signal?: AbortSignal): Promise<'deleted' | 'absent'> {
  const options = signal ? { abortSignal: signal } : {};
  if (!(await bucketExists(client, bucket, signal))) return 'absent';
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  for (;;) {
    const page = await client.send(
      new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }),
      options,
    );
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]
      .filter((entry) => entry.Key !== undefined)
      .map((entry) => (entry.VersionId ? { Key: entry.Key as string, VersionId: entry.VersionId } : { Key: entry.Key as string }));
    for (let start = 0; start < objects.length; start += 1000) {
      const result = await client.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects.slice(start, start + 1000), Quiet: true } }),
        options,
      );
      const failed = result.Errors?.[0];
      if (failed) throw new Error(`could not delete ${failed.Key}: ${failed.Code} ${failed.Message ?? ''}`.trim());
    }
    if (!page.IsTruncated) break;
    keyMarker = page.NextKeyMarker;
    versionIdMarker = page.NextVersionIdMarker;
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket }), options);
  return 'deleted';
}

/** Best effort: removes an object a failed task leaves behind (no error if it cannot). */
export async function deleteObjectQuietly(client: S3Client, bucket: string, key: string): Promise<void> {
  try {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  } catch {
    // The object has no manifest, so nothing will take it for a backup; pruning removes it.
  }
}

/** Replaces the bucket's tags. */
export async function tagBucket(client: S3Client, bucket: string, tags: Record<string, string>, signal?: AbortSignal): Promise<void> {
  await client.send(
    new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } }),
    signal ? { abortSignal: signal } : {},
  );
}

/** The bucket's tags; none when it has none (S3 answers NoSuchTagSet). */
export async function bucketTags(client: S3Client, bucket: string, signal?: AbortSignal): Promise<Record<string, string>> {
  try {
    const { TagSet } = await client.send(new GetBucketTaggingCommand({ Bucket: bucket }), signal ? { abortSignal: signal } : {});
    return Object.fromEntries((TagSet ?? []).flatMap((tag) => (tag.Key === undefined ? [] : [[tag.Key, tag.Value ?? '']])));
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchTagSet') return {};
    throw error;
  }
}
