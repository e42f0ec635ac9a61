// Streams a body (a Readable or any async iterable of chunks) into an S3 object: one PutObject
// when the body fits in a part, else a multipart upload with up to `queueSize` parts in
// flight. Memory stays at (queueSize + 1) part buffers whatever the object size, and those
// buffers are reused from part to part: allocating a fresh 16 MiB buffer per part (as
// @aws-sdk/lib-storage does) showed up as page faults and garbage collection, a third of the
// runner's CPU on large objects. On any failure (the body errors, S3 fails, the signal fires)
// the multipart upload is aborted before the promise rejects, so no orphan parts stay behind
// to be billed or mistaken for data.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';

export const DEFAULT_PART_SIZE_BYTES = 16 * 1024 * 1024;
export const DEFAULT_QUEUE_SIZE = 4;
const MIN_PART_SIZE_BYTES = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;

export interface UploadStreamOptions {
  bucket: string;
  key: string;
  /** Read chunk by chunk: an async iterable of Buffers is taken as it comes (a byte-mode
   *  Readable's iterator joins whatever it has buffered into a new Buffer, a copy). */
  body: Readable | AsyncIterable<Buffer>;
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
  /** Sees every chunk of the body in order, before it is copied into a part (to hash it while
   *  it is still in the cache). */
  onChunk?: (chunk: Buffer) => void;
}

export interface UploadStreamResult {
  etag?: string;
  sizeBytes: number;
}

export async function uploadStream(client: S3Client, options: UploadStreamOptions): Promise<UploadStreamResult> {
  const { bucket, key, body, signal } = options;
  signal?.throwIfAborted();
  const partSize = Math.max(MIN_PART_SIZE_BYTES, options.partSizeBytes ?? DEFAULT_PART_SIZE_BYTES);
  const queueSize = Math.max(1, options.queueSize ?? DEFAULT_QUEUE_SIZE);
  const objectParams = {
    ...options.objectParams,
    Bucket: bucket,
    Key: key,
    ContentType: options.contentType ?? 'application/octet-stream',
  };
  const send = { abortSignal: signal };

  const free: Buffer[] = [];
  let allocated = 0;
  const takeBuffer = async (): Promise<Buffer> => {
    for (;;) {
      const buffer = free.pop();
      if (buffer) return buffer;
      if (allocated <= queueSize) {
        allocated += 1;
        return Buffer.allocUnsafe(partSize);
      }
      await Promise.race(inFlight.values());
    }
  };

  const inFlight = new Map<number, Promise<void>>();
  const parts: CompletedPart[] = [];
  let uploadId: string | undefined;
  let failure: unknown;
  let sizeBytes = 0;

  const uploadPart = (partNumber: number, buffer: Buffer, length: number): void => {
    const sending = (async () => {
      try {
        const output = await client.send(
          new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: buffer.subarray(0, length), ContentLength: length }),
          send,
        );
        parts.push({ PartNumber: partNumber, ETag: output.ETag });
      } catch (error) {
        failure ??= error;
      } finally {
        free.push(buffer);
        inFlight.delete(partNumber);
      }
    })();
    inFlight.set(partNumber, sending);
  };

  // A stop request ends the read loop even while the body is silent (a pg_dump that waits): the
  // read in progress is rejected, and a Readable is destroyed.
  const chunks = body[Symbol.asyncIterator]();
  let abortRead: ((reason: unknown) => void) | undefined;
  const abortReason = (): Error => (signal?.reason instanceof Error ? signal.reason : new Error('upload aborted'));
  const onAbort = (): void => {
    abortRead?.(abortReason());
    if (isReadable(body)) body.destroy(abortReason());
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  // (Not Promise.race with one promise for the whole upload: every race would leave a reaction
  // on it holding its chunk, and the whole body would stay in memory.)
  const nextChunk = (): Promise<IteratorResult<Buffer>> => {
    if (!signal) return chunks.next();
    if (signal.aborted) return Promise.reject(abortReason());
    return new Promise((resolve, reject) => {
      abortRead = reject;
      chunks.next().then(resolve, reject);
    });
  };

  let current = await takeBuffer();
  let filled = 0;
  let partNumber = 0;
  try {
    for (let next = await nextChunk(); !next.done; next = await nextChunk()) {
      const chunk = next.value;
      sizeBytes += chunk.length;
      options.onBytes?.(sizeBytes);
      options.onChunk?.(chunk);
      let offset = 0;
      while (offset < chunk.length) {
        if (failure !== undefined) throw failure;
        if (filled === partSize) {
          // A full part and at least one more byte: from here on it is a multipart upload.
          // (A body of exactly one part stays a single PUT.)
          if (uploadId === undefined) {
            const created = await client.send(new CreateMultipartUploadCommand(objectParams), send);
            uploadId = created.UploadId;
          }
          if (++partNumber > MAX_PARTS) throw new Error(`object ${key} needs more than ${MAX_PARTS} parts of ${partSize} bytes; raise the part size`);
          uploadPart(partNumber, current, filled);
          current = await takeBuffer();
          filled = 0;
        }
        const n = Math.min(chunk.length - offset, partSize - filled);
        chunk.copy(current, filled, offset, offset + n);
        filled += n;
        offset += n;
      }
    }
    signal?.throwIfAborted();

    if (uploadId === undefined) {
      // The whole body fit in one part (an empty body included): a single PUT.
      const output = await client.send(
        new PutObjectCommand({ ...objectParams, Body: current.subarray(0, filled), ContentLength: filled }),
        send,
      );
      return output.ETag ? { etag: output.ETag, sizeBytes } : { sizeBytes };
    }
    if (filled > 0) uploadPart(++partNumber, current, filled);
    await Promise.all(inFlight.values());
    if (failure !== undefined) throw failure;
    signal?.throwIfAborted();
    parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    const completed = await client.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      send,
    );
    return completed.ETag ? { etag: completed.ETag, sizeBytes } : { sizeBytes };
  } catch (error) {
    if (isReadable(body)) body.destroy();
    // Not awaited: a generator still inside a step (waiting on its own source) finishes it first.
    else chunks.return?.().catch(() => undefined);
    await Promise.allSettled(inFlight.values());
    await abortQuietly(client, bucket, key, uploadId);
    throw signal?.aborted && signal.reason instanceof Error ? signal.reason : error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

function isReadable(body: Readable | AsyncIterable<Buffer>): body is Readable {
  return typeof (body as Readable).destroy === 'function';
}

/**
 * Aborts the multipart upload, if one was started. An upload that is already gone answers
 * NoSuchUpload, which is the state we want.
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
