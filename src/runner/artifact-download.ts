// The local copy `pg_restore -j N` needs: the artifact read as parallel ranges on the lean
// object reader (src/s3/ranged-download.ts), SHA-256 over the bytes in order in the same pass,
// decoded and written to `path` as the bytes arrive (a zstd process writing the file when the
// artifact is zstd), and done only once the checksum matched. On any failure the partial file
// is removed. The SDK's ranged reader took 1.5-2x the time for the GETs and hash alone (a
// whole-range buffer and copy per range, the SDK's per-request work); the phase as a whole is
// bound by zstd -d writing the file (bench/runner-postgres-restore.ts).
import { Readable } from 'node:stream';
import type { StoredArtifact } from '../contract/manifests.ts';
import type { ObjectHead } from '../s3/download.ts';
import type { GetObject } from '../s3/object-reader.ts';
import { readRangesInOrder } from '../s3/ranged-download.ts';
import { verifyAndDecode, writeArtifactFile } from './artifact-reader.ts';

export interface ArtifactDownload {
  bucket: string;
  artifact: Pick<StoredArtifact, 'key' | 'sizeBytes' | 'sha256' | 'compression' | 'encryption'>;
  /** From a HEAD, not the manifest: bytes appended to the object must count (and fail the check). */
  head: ObjectHead;
  path: string;
  identities?: string[];
  /** A zstd binary decompresses straight into the file; else node:zlib does, in-process. */
  zstd?: { bin: string; env: NodeJS.ProcessEnv };
  ranges?: { concurrency?: number; rangeBytes?: number };
  signal?: AbortSignal;
  onStoredBytes?: (count: number) => void;
}

export async function downloadArtifactInRanges(get: GetObject, options: ArtifactDownload): Promise<void> {
  const { artifact } = options;
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const stored = Readable.from(
    readRangesInOrder(get, {
      bucket: options.bucket,
      key: artifact.key,
      sizeBytes: options.head.sizeBytes,
      ...(options.head.etag ? { etag: options.head.etag } : {}),
      ...options.ranges,
      signal,
    }),
    { objectMode: false, highWaterMark: 1 },
  );
  const external = options.zstd !== undefined && artifact.compression === 'zstd' ? options.zstd : undefined;
  const reader = verifyAndDecode(stored, {
    what: `artifact s3://${options.bucket}/${artifact.key}`,
    artifact,
    ...(options.identities ? { identities: options.identities } : {}),
    signal,
    onConsumerGone: () => stop.abort(new Error('reader closed')),
    ...(options.onStoredBytes ? { onStoredBytes: options.onStoredBytes } : {}),
    ...(external ? { decompress: false } : {}),
  });
  try {
    await writeArtifactFile(reader, options.path, external, signal);
  } catch (error) {
    stop.abort(new Error('download failed'));
    throw error;
  }
}
