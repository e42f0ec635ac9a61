// Compression of artifacts: zstd (default; fast, and node:zlib runs it on the libuv thread
// pool, off the event loop), gzip (for tools that lack zstd) or none. zstd artifacts are
// written as frames that store what does not compress (zstd-frames.ts).
import { createGunzip, createGzip } from 'node:zlib';
import { Duplex, PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Compression } from '../contract/compression.ts';
import { compressFrames, decompressFrames } from './zstd-frames.ts';

/** zstd level 3 is zstd's own default: several hundred MB/s per core at a good ratio. */
export const DEFAULT_ZSTD_LEVEL = 3;
/** gzip level 1: the higher levels cost several times the CPU for a few percent. */
const DEFAULT_GZIP_LEVEL = 1;

const CHUNK_BYTES = 256 * 1024;
/** Output pieces of the decompressor: each is one round trip to the thread pool, and at
 *  256 KiB those round trips, not zstd, bound the speed (measured: 1 MiB is 2.5x faster). */
const DECOMPRESS_CHUNK_BYTES = 1024 * 1024;

export function createCompressStream(compression: Compression, level?: number): Duplex {
  switch (compression) {
    case 'zstd':
      return Duplex.from((source: AsyncIterable<Buffer>) => compressFrames(source, { level: level ?? DEFAULT_ZSTD_LEVEL }));
    case 'gzip':
      return createGzip({ chunkSize: CHUNK_BYTES, level: Math.min(level ?? DEFAULT_GZIP_LEVEL, 9) });
    case 'none':
      return new PassThrough();
  }
}

/** The same compression over an async iterable of chunks (the artifact writer's stages). */
export function compressChunks(source: AsyncIterable<Buffer>, compression: Compression, level?: number): AsyncIterable<Buffer> {
  switch (compression) {
    case 'zstd':
      return compressFrames(source, { level: level ?? DEFAULT_ZSTD_LEVEL });
    case 'gzip':
      return through(source, createGzip({ chunkSize: CHUNK_BYTES, level: Math.min(level ?? DEFAULT_GZIP_LEVEL, 9) }));
    case 'none':
      return source;
  }
}

/** The chunks a transform stream makes of source. */
async function* through(source: AsyncIterable<Buffer>, transform: Duplex): AsyncGenerator<Buffer> {
  const feeding = pipeline(Readable.from(source, { highWaterMark: 1 }), transform);
  feeding.catch(() => undefined); // its failure surfaces through the loop below as well
  yield* transform as AsyncIterable<Buffer>;
  await feeding;
}

export function createDecompressStream(compression: Compression): Duplex {
  switch (compression) {
    case 'zstd':
      // Frame by frame: node:zlib's decompressor would stop after the first one.
      return Duplex.from(decompressFrames);
    case 'gzip':
      return createGunzip({ chunkSize: DECOMPRESS_CHUNK_BYTES });
    case 'none':
      return new PassThrough();
  }
}

export function compressionExtension(compression: Compression): string {
  switch (compression) {
    case 'zstd':
      return '.zst';
    case 'gzip':
      return '.gz';
    case 'none':
      return '';
  }
}
