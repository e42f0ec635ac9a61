// Reads an artifact back: download -> SHA-256 check -> decrypt -> decompress. The returned
// stream holds back its last chunk until the stored bytes' SHA-256 and size have matched the
// manifest, so a consumer (pg_restore, a bucket restore) cannot finish on corrupt data: on a
// mismatch the stream errors instead of ending. When decryption or decompression fails, the
// rest of the object is still hashed, so a corrupt object is reported as a checksum mismatch
// rather than as a confusing decoder error.
import type { S3Client } from '@aws-sdk/client-s3';
import { createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { StoredArtifact } from '../contract/manifests.ts';
import { AgeError, createAgeDecryptStream } from '../crypto/age-stream.ts';
import { ChecksumMismatchError, RunnerError } from '../failures/runner-error.ts';
import { startZstd, zstdDecompressArgs } from '../process/zstd-process.ts';
import { getObjectStream, readObjectRanges } from '../s3/download.ts';
import { createDecompressStream } from './compression.ts';
import { Sha256Counter } from './hashing.ts';

export interface OpenArtifactOptions {
  bucket: string;
  artifact: Pick<StoredArtifact, 'key' | 'sizeBytes' | 'sha256' | 'compression' | 'encryption'>;
  /** age identities (AGE-SECRET-KEY-1...); required when the artifact is encrypted. */
  identities?: string[];
  signal?: AbortSignal;
  /** Parallel ranged GETs instead of one stream (for large artifacts). */
  ranges?: { concurrency?: number; rangeBytes?: number };
  /** Progress: stored bytes read so far. */
  onStoredBytes?: (count: number) => void;
  /** false: leave the output compressed, for a zstd process downstream to decompress. */
  decompress?: boolean;
  /** Bytes kept back until the checksum matched (at least the last chunk is). */
  holdBackBytes?: number;
}

export function openArtifact(client: S3Client, options: OpenArtifactOptions): Readable {
  const { artifact } = options;
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const stored = options.ranges
    ? readObjectRanges(client, {
        bucket: options.bucket,
        key: artifact.key,
        // Sized by a HEAD, not by the manifest: bytes appended to the object must count.
        signal,
        ...options.ranges,
      })
    : Readable.from(streamObject(client, options.bucket, artifact.key, signal), { objectMode: false });
  return verifyAndDecode(stored, {
    what: `artifact s3://${options.bucket}/${artifact.key}`,
    artifact,
    ...(options.identities ? { identities: options.identities } : {}),
    signal,
    onConsumerGone: () => stop.abort(new Error('reader closed')),
    ...(options.onStoredBytes ? { onStoredBytes: options.onStoredBytes } : {}),
    ...(options.decompress === false ? { decompress: false } : {}),
    ...(options.holdBackBytes ? { holdBackBytes: options.holdBackBytes } : {}),
  });
}

export interface VerifyAndDecodeOptions {
  /** Names the artifact in error messages. */
  what: string;
  artifact: Pick<StoredArtifact, 'sizeBytes' | 'sha256' | 'compression' | 'encryption'>;
  identities?: string[];
  signal?: AbortSignal;
  onConsumerGone?: () => void;
  onStoredBytes?: (count: number) => void;
  decompress?: boolean;
  holdBackBytes?: number;
}

/** The stored bytes in, the verified plain bytes out (see the top of this file). */
export function verifyAndDecode(stored: Readable, options: VerifyAndDecodeOptions): Readable {
  const { artifact, what: where } = options;
  if (artifact.encryption && (options.identities ?? []).length === 0) {
    throw new RunnerError('DecryptionFailed', `${where} is encrypted (age) and no identity was given`);
  }
  const gate = new HoldBackGate(options.holdBackBytes ?? 1, () => {
    options.onConsumerGone?.();
    stored.destroy();
  });
  const entry = new PassThrough();
  const decoders: NodeJS.ReadWriteStream[] = [];
  if (artifact.encryption) decoders.push(createAgeDecryptStream(options.identities ?? []));
  if (options.decompress !== false) decoders.push(createDecompressStream(artifact.compression));
  const decoding = pipeline([entry, ...decoders, gate.sink]).then(
    () => undefined,
    (error: unknown) => error,
  );

  const hashing = (async () => {
    const counter = new Sha256Counter();
    for await (const chunk of stored) {
      options.signal?.throwIfAborted();
      counter.update(chunk as Buffer);
      options.onStoredBytes?.((chunk as Buffer).length);
      // After a decoder failure, keep reading only to finish the hash.
      if (!entry.destroyed && !entry.write(chunk)) {
        await drainedOrGone(entry);
      }
    }
    entry.end();
    return { sha256: counter.digest(), sizeBytes: counter.sizeBytes };
  })();

  void (async () => {
    let failure: unknown;
    try {
      const actual = await hashing;
      const decodeError = await decoding;
      if (actual.sha256 !== artifact.sha256 || actual.sizeBytes !== artifact.sizeBytes) {
        failure = new ChecksumMismatchError(where, artifact, actual);
      } else if (decodeError !== undefined) {
        failure = describeDecodeError(where, decodeError, artifact.encryption !== null);
      }
    } catch (error) {
      failure = error;
      stored.destroy();
    }
    if (failure === undefined) {
      gate.release();
    } else {
      entry.destroy();
      gate.fail(failure instanceof Error ? failure : new Error(String(failure)));
    }
  })();

  return gate.out;
}

/** Resolves when `stream` can take more or has gone (its error is the pipeline's to report). */
function drainedOrGone(stream: PassThrough): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

async function* streamObject(client: S3Client, bucket: string, key: string, signal: AbortSignal): AsyncGenerator<Buffer> {
  const { body } = await getObjectStream(client, { bucket, key, signal });
  for await (const chunk of body) yield chunk as Buffer;
}

function describeDecodeError(where: string, error: unknown, encrypted: boolean): Error {
  if (error instanceof RunnerError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof AgeError || (encrypted && /age|identit|decrypt|authenticat/i.test(message))) {
    return new RunnerError('DecryptionFailed', `${where} could not be decrypted: ${message}`, { cause: error });
  }
  return new RunnerError('ArtifactCorrupt', `${where} could not be decoded: ${message}`, { cause: error });
}

/**
 * Forwards decoded bytes to `out` with backpressure, always keeping at least the last
 * `minHeldBytes` (and the last chunk) back until release(): the consumer sees the end of the
 * data only once it has been verified.
 */
class HoldBackGate {
  readonly out: Readable;
  readonly sink: Writable;
  private readonly minHeldBytes: number;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private waiting: ((error?: Error) => void) | undefined;
  private settled = false;

  constructor(minHeldBytes: number, onConsumerGone: () => void) {
    this.minHeldBytes = Math.max(1, minHeldBytes);
    this.out = new Readable({ read: () => this.resume() });
    this.out.on('close', () => {
      if (!this.settled) {
        this.settled = true;
        onConsumerGone();
        this.resume(new Error('reader closed'));
      }
    });
    this.sink = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        if (this.out.destroyed) {
          callback(new Error('reader closed'));
          return;
        }
        this.held.push(chunk);
        this.heldBytes += chunk.length;
        let more = true;
        for (let first = this.held[0]; first && this.held.length > 1 && this.heldBytes - first.length >= this.minHeldBytes; first = this.held[0]) {
          this.held.shift();
          this.heldBytes -= first.length;
          more = this.out.push(first) && more;
        }
        if (more) callback();
        else this.waiting = callback;
      },
    });
  }

  release(): void {
    if (this.settled) return;
    this.settled = true;
    for (const chunk of this.held) this.out.push(chunk);
    this.held = [];
    this.out.push(null);
  }

  fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.held = [];
    this.out.destroy(error);
  }

  private resume(error?: Error): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.(error);
  }
}

/**
 * Restores need a local file for `pg_restore -j N`: downloads (parallel ranges), decodes and
 * writes the plain artifact to `path`, and returns only once the checksum has matched. On
 * any failure the partial file is removed. With a zstd binary, a zstd process decompresses
 * straight into the file.
 */
export async function downloadArtifactToFile(
  client: S3Client,
  options: OpenArtifactOptions & { path: string; zstd?: { bin: string; env: NodeJS.ProcessEnv } },
): Promise<void> {
  const external = options.zstd !== undefined && options.artifact.compression === 'zstd' ? options.zstd : undefined;
  const reader = openArtifact(client, { ...options, ranges: options.ranges ?? {}, decompress: external === undefined });
  await writeArtifactFile(reader, options.path, external, options.signal);
}

/**
 * Writes an artifact reader's bytes to a new file at `path` (never over an existing one): as they
 * come, or, given `zstd` (the reader left them compressed), through a zstd process that
 * decompresses straight into the file. Done only when the reader ended, its checksum matched.
 * On any failure the reader is destroyed and the partial file removed.
 */
export async function writeArtifactFile(
  reader: Readable,
  path: string,
  zstd: { bin: string; env: NodeJS.ProcessEnv } | undefined,
  signal?: AbortSignal,
): Promise<void> {
  try {
    if (!zstd) {
      await pipeline(reader, createWriteStream(path, { flags: 'wx' }));
      return;
    }
    const file = await open(path, 'wx');
    let child;
    try {
      child = startZstd(zstd.bin, zstdDecompressArgs(), { stdin: 'pipe', stdout: file.fd, env: zstd.env, ...(signal ? { signal } : {}) });
    } finally {
      await file.close();
    }
    const [fed, decompressed] = await Promise.allSettled([pipeline(reader, child.child.stdin as Writable), child.exited]);
    // The reader's failure (checksum, decryption) is the cause; zstd's, its consequence.
    if (fed.status === 'rejected' && !isPipeError(fed.reason)) throw fed.reason;
    if (decompressed.status === 'rejected') throw decompressed.reason;
    if (fed.status === 'rejected') throw fed.reason;
  } catch (error) {
    reader.destroy();
    await rm(path, { force: true });
    throw error;
  }
}

function isPipeError(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ERR_STREAM_DESTROYED';
}
