// Writes one artifact: source -> compress -> encrypt (age) -> SHA-256 -> S3 multipart upload,
// all streaming, no temp file. The hash covers the stored bytes, so `verify` can check an
// encrypted artifact without its key. The object is only completed if the source ended
// cleanly; a source that errors (a failed pg_dump) aborts the multipart upload instead.
import type { S3Client } from '@aws-sdk/client-s3';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Compression } from '../contract/compression.ts';
import { createAgeEncryptStream } from '../crypto/age-stream.ts';
import { uploadStream } from '../s3/upload.ts';
import { createCompressStream } from './compression.ts';
import { HashingStream } from './hashing.ts';

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

  let sourceBytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sourceBytes += chunk.length;
      options.onSourceBytes?.(chunk.length);
      callback(null, chunk);
    },
  });
  const hasher = new HashingStream();
  const stages: NodeJS.ReadWriteStream[] = [counter];
  if (!options.sourceCompressed) stages.push(createCompressStream(options.compression, options.compressionLevel));
  if (recipients.length > 0) stages.push(createAgeEncryptStream(recipients));

  const producing = pipeline([options.source, ...stages, hasher], signal ? { signal } : {});
  const uploading = uploadStream(client, {
    bucket: options.bucket,
    key: options.key,
    body: hasher,
    ...(options.partSizeBytes ? { partSizeBytes: options.partSizeBytes } : {}),
    ...(options.queueSize ? { queueSize: options.queueSize } : {}),
    ...(signal ? { signal } : {}),
  });

  const [produced, uploaded] = await Promise.allSettled([producing, uploading]);
  if (produced.status === 'rejected' && !isSecondaryStreamError(produced.reason)) throw produced.reason;
  if (uploaded.status === 'rejected') throw uploaded.reason;
  if (produced.status === 'rejected') throw produced.reason;

  if (uploaded.value.sizeBytes !== hasher.sizeBytes) {
    // Cannot happen unless a stream misbehaves; a size mismatch must never pass as success.
    throw new Error(`uploaded ${uploaded.value.sizeBytes} bytes but hashed ${hasher.sizeBytes}`);
  }
  return {
    key: options.key,
    sizeBytes: hasher.sizeBytes,
    sha256: hasher.sha256(),
    sourceBytes: options.sourceCompressed ? null : sourceBytes,
    compression: options.compression,
    encrypted: recipients.length > 0,
  };
}

/** Errors a stream reports only because another stage failed (or was torn down) first. */
function isSecondaryStreamError(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ERR_STREAM_DESTROYED' || code === 'ABORT_ERR';
}
