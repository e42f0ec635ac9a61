// Writes one artifact: source -> compress -> encrypt (age) -> SHA-256 -> S3 multipart upload,
// all streaming, no temp file. The hash covers the stored bytes, so `verify` can check an
// encrypted artifact without its key. The object is only completed if the source ended
// cleanly; a source that errors (a failed pg_dump) aborts the multipart upload instead.
import type { S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type { Compression } from '../contract/compression.ts';
import { encryptAge } from '../crypto/age-stream.ts';
import { type UploadStreamResult, uploadStream } from '../s3/upload.ts';
import { compressChunks } from './compression.ts';
import { Sha256Counter } from './hashing.ts';

export interface WriteArtifactOptions {
  bucket: string;
  key: string;
  source: Readable;
  compression: Compression;
  compressionLevel?: number;
  /** The source is already compressed as `compression` says (by a zstd process). */
  sourceCompressed?: boolean;
  encryption?: { recipients: string[] };
  signal?: AbortSignal;
  partSizeBytes?: number;
  queueSize?: number;
  /** Progress: bytes read from the source (uncompressed unless sourceCompressed). */
  onSourceBytes?: (count: number) => void;
}

export interface WrittenArtifact {
  key: string;
  sizeBytes: number;
  sha256: string;
  /** Bytes read from the source, before compression and encryption; unknown when the source
   *  came compressed. */
  sourceBytes: number | null;
  compression: Compression;
  encrypted: boolean;
}

export async function writeArtifact(client: S3Client, options: WriteArtifactOptions): Promise<WrittenArtifact> {
  const { signal } = options;
  signal?.throwIfAborted();
  const recipients = options.encryption?.recipients ?? [];
  if (options.encryption && recipients.length === 0) {
    throw new Error('encryption was requested without any recipient');
  }

  // The stages are generators over chunks, each one step per chunk, and the upload pulls the
  // last: no stream between them buffers, joins chunks into new buffers or schedules callbacks
  // (with Node streams between the stages, that plumbing cost more CPU than the copy into the
  // upload's parts).
  let sourceBytes = 0;
  const counted = async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      sourceBytes += chunk.length;
      options.onSourceBytes?.(chunk.length);
      yield chunk;
    }
  };
  let stored: AsyncIterable<Buffer> = counted(options.source);
  if (!options.sourceCompressed) stored = compressChunks(stored, options.compression, options.compressionLevel);
  if (recipients.length > 0) stored = encryptAge(stored, recipients);

  const hash = new Sha256Counter();
  let uploaded: UploadStreamResult;
  try {
    uploaded = await uploadStream(client, {
      bucket: options.bucket,
      key: options.key,
      body: stored,
      onChunk: (chunk) => hash.update(chunk),
      ...(options.partSizeBytes ? { partSizeBytes: options.partSizeBytes } : {}),
      ...(options.queueSize ? { queueSize: options.queueSize } : {}),
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    // The upload has been aborted; stop the source too (a pg_dump still writing).
    options.source.destroy();
    throw error;
  }

  if (uploaded.sizeBytes !== hash.sizeBytes) {
    // Cannot happen unless a stage misbehaves; a size mismatch must never pass as success.
    throw new Error(`uploaded ${uploaded.sizeBytes} bytes but hashed ${hash.sizeBytes}`);
  }
  return {
    key: options.key,
    sizeBytes: hash.sizeBytes,
    sha256: hash.digest(),
    sourceBytes: options.sourceCompressed ? null : sourceBytes,
    compression: options.compression,
    encrypted: recipients.length > 0,
  };
}
