// The finalizer's I/O: every object under a run's folder goes, in pages of 1000. A failure is
// temporary (the finalizer stays and the run is retried with backoff); a bucket that is already
// gone holds nothing to delete.
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { TemporaryError } from '../../runtime/errors.ts';
import { isNotFound, storageFailure } from '../../s3/errors.ts';

export async function deletePrefix(s3: S3Client, where: { bucket: string; prefix: string; endpoint?: string | undefined }, signal?: AbortSignal): Promise<number> {
  const options = signal ? { abortSignal: signal } : {};
  let deleted = 0;
  try {
    for (;;) {
      // Always list from the start: what was deleted no longer shows, so no token is needed.
      const page = await s3.send(new ListObjectsV2Command({ Bucket: where.bucket, Prefix: where.prefix, MaxKeys: 1000 }), options);
      const keys = (page.Contents ?? []).flatMap((entry) => (entry.Key ? [{ Key: entry.Key }] : []));
      if (keys.length === 0) return deleted;
      const result = await s3.send(new DeleteObjectsCommand({ Bucket: where.bucket, Delete: { Objects: keys, Quiet: true } }), options);
      const failed = result.Errors?.[0];
      if (failed) throw new TemporaryError(`could not delete s3://${where.bucket}/${failed.Key ?? ''}: ${failed.Code ?? 'Error'} ${failed.Message ?? ''}`.trim());
      deleted += keys.length;
    }
  } catch (error) {
    if (error instanceof TemporaryError) throw error;
    if (isNotFound(error)) return deleted;
    const where_ = where.endpoint ? { bucket: where.bucket, key: where.prefix, endpoint: where.endpoint } : { bucket: where.bucket, key: where.prefix };
    throw new TemporaryError(storageFailure(error, where_, 'deleting the artifacts under').message, { cause: error });
  }
}
