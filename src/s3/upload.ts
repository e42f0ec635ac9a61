// Streams a Readable into an S3 object with a multipart upload. Memory stays at about
// partSizeBytes * (queueSize + 1) whatever the object size. On any failure (the body
// errors, S3 fails, the signal fires) the multipart upload is aborted before the promise
// rejects, so no orphan parts stay behind to be billed or mistaken for data.
import { AbortMultipartUploadCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export const DEFAULT_PART_SIZE_BYTES = 16 * 1024 * 1024;
export const DEFAULT_QUEUE_SIZE = 4;

export interface UploadStreamOptions {
  bucket: string;
  key: string;
  body: Readable;
  contentType?: string;
  /** More object headers and user metadata to store with the object (bucket restores). */
  objectParams?: Pick<
    PutObjectCommandInput,
    'Metadata' | 'CacheControl' | 'ContentDisposition' | 'ContentEncoding' | 'ContentLanguage' | 'Expires'
  >;
  /** At least 5 MiB (the S3 minimum); 10,000 parts cap the object at 10,000 x this. */
  partSizeBytes?: number;
  /** Parts uploaded in parallel. */
  queueSize?: number;
  signal?: AbortSignal;
  /** Called with the bytes read from body so far. */
  onBytes?: (totalBytes: number) => void;
}

export interface UploadStreamResult {
  etag?: string;
  sizeBytes: number;
}

export async function uploadStream(client: S3Client, options: UploadStreamOptions): Promise<UploadStreamResult> {
  const { bucket, key, body, signal } = options;
  signal?.throwIfAborted();

  let sizeBytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sizeBytes += chunk.length;
      options.onBytes?.(sizeBytes);
      callback(null, chunk);
    },
  });
  // Errors of body reach the counter (pipeline destroys it with the error), which makes the
  // uploader fail and abort the multipart upload itself.
  const feeding = pipeline(body, counter).catch(() => undefined);

  // Aborting through the body rather than Upload's own abortController: lib-storage rejects
  // done() immediately on its controller and aborts the multipart upload later in the
  // background, which a process about to exit would never finish.
  const onAbort = (): void => {
    counter.destroy(signal?.reason instanceof Error ? signal.reason : new Error('upload aborted'));
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  const upload = new Upload({
    client,
    params: {
      ...options.objectParams,
      Bucket: bucket,
      Key: key,
      Body: counter,
      ContentType: options.contentType ?? 'application/octet-stream',
    },
    partSize: options.partSizeBytes ?? DEFAULT_PART_SIZE_BYTES,
    queueSize: options.queueSize ?? DEFAULT_QUEUE_SIZE,
    leavePartsOnError: false,
  });

  try {
    const output = await upload.done();
    await feeding;
    signal?.throwIfAborted();
    return output.ETag ? { etag: output.ETag, sizeBytes } : { sizeBytes };
  } catch (error) {
    body.destroy();
    counter.destroy();
    await abortQuietly(client, bucket, key, upload.uploadId);
    throw signal?.aborted && signal.reason instanceof Error ? signal.reason : error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * lib-storage already aborts on the failure paths we drive; this second abort covers the
 * rest (for example a failed CompleteMultipartUpload whose own abort also failed). An
 * upload that is already gone answers NoSuchUpload, which is the state we want.
 */
async function abortQuietly(client: S3Client, bucket: string, key: string, uploadId: string | undefined): Promise<void> {
  if (!uploadId) return;
  try {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
  } catch {
    // Nothing more to do from here: the object was never completed, so there is no
    // manifest; a bucket lifecycle rule (AbortIncompleteMultipartUpload) removes the rest.
  }
}
