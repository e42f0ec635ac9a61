// zstd artifacts as a sequence of frames (RFC 8878), so that bytes which do not compress are
// stored, not compressed. zstd at level 3 spends about 2.5 CPU s per GiB of random bytes (media,
// archives, encrypted objects) to shrink them by nothing. The writer compresses while it pays:
// after every COMPRESSED_WINDOW_BYTES of input it compares what the compressor gave back, and
// above STORE_RATIO it ends the frame and stores what follows in frames of raw blocks (a copy, no
// compression). While storing it probes PROBE_BYTES of the input every PROBE_EVERY_BYTES at a
// fast level, and goes back to compressing when the probe shrinks by more than PROBE_RATIO
// suggests it pays again. On data that compresses the writer never leaves the first frame, so
// it costs nothing there.
//
// Concatenated frames are plain zstd: `zstd -d` reads them as one stream. Node's own zstd
// decompressor stops at the end of the first frame, so decompressFrames() splits the stream at
// frame boundaries and decodes each frame with a decompressor of its own. An artifact written
// as one frame (every artifact before this writer, and pg_dump | zstd) is just a stream of one
// frame to it.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createZstdCompress, createZstdDecompress, zstdCompressSync } from 'node:zlib';

export const COMPRESSED_WINDOW_BYTES = 8 * 1024 * 1024;
export const STORE_RATIO = 0.92;
export const PROBE_EVERY_BYTES = 4 * 1024 * 1024;
export const PROBE_BYTES = 128 * 1024;
export const PROBE_RATIO = 0.85;

const FRAME_MAGIC = 0xfd2fb528;
/** Skippable frames: magic 0x184D2A50..0x184D2A5F, a 4-byte size, that many bytes. */
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const MAX_BLOCK_BYTES = 128 * 1024;
/** Magic; frame header descriptor 0 (no checksum, no content size, no dictionary); window
 *  descriptor 0x38 = a 128 KiB window, so a decoder needs no more memory than one block. */
const RAW_FRAME_HEADER = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38]);
/** An empty raw block marked last: ends a raw frame whose length was not known up front. */
const LAST_EMPTY_BLOCK = Buffer.from([0x01, 0x00, 0x00]);
const COMPRESS_CHUNK_BYTES = 256 * 1024;
const DECOMPRESS_CHUNK_BYTES = 1024 * 1024;

export interface CompressOptions {
  level: number;
  /** Frames carry zstd's content checksum (compressed frames only; stored bytes are covered by
   *  the artifact's SHA-256 like everything else). */
  checksum?: boolean;
}

/** Compressed and stored frames, as decided above; returns the bytes in order. */
export async function* compressFrames(source: AsyncIterable<Buffer>, options: CompressOptions): AsyncGenerator<Buffer> {
  const input = new PushbackReader(source);
  for (;;) {
    // A compressed frame, until the compressor stops paying.
    let consumed = 0;
    let produced = 0;
    let windowIn = 0;
    let windowOut = 0;
    let stopCompressing = false;
    const frameInput = async function* (): AsyncGenerator<Buffer> {
      for (;;) {
        if (consumed - windowIn >= COMPRESSED_WINDOW_BYTES) {
          if (produced - windowOut > STORE_RATIO * (consumed - windowIn)) {
            stopCompressing = true;
            return;
          }
          windowIn = consumed;
          windowOut = produced;
        }
        const chunk = await input.next();
        if (chunk === undefined) return;
        consumed += chunk.length;
        yield chunk;
      }
    };
    const compressor = createZstdCompress({
      chunkSize: COMPRESS_CHUNK_BYTES,
      params: {
        [constants.ZSTD_c_compressionLevel]: options.level,
        [constants.ZSTD_c_checksumFlag]: options.checksum === false ? 0 : 1,
      },
    });
    const feeding = pipeline(Readable.from(frameInput(), { highWaterMark: 1 }), compressor);
    feeding.catch(() => undefined); // its failure surfaces through the loop below as well
    for await (const out of compressor as AsyncIterable<Buffer>) {
      produced += out.length;
      yield out;
    }
    await feeding;
    if (!stopCompressing) return;

    // Stored frames, until a probe says compressing pays again (or the input ends).
    let sinceProbe = 0;
    let frameOpen = false;
    for (;;) {
      const chunk = await input.next();
      if (chunk === undefined) break;
      if (sinceProbe >= PROBE_EVERY_BYTES) {
        sinceProbe = 0;
        if (compressesWell(chunk, options.level)) {
          input.pushBack(chunk);
          break;
        }
      }
      sinceProbe += chunk.length;
      if (!frameOpen) {
        yield RAW_FRAME_HEADER;
        frameOpen = true;
      }
      yield* rawBlocks(chunk);
    }
    if (frameOpen) yield LAST_EMPTY_BLOCK;
    if (input.ended) return;
  }
}

function* rawBlocks(chunk: Buffer): Generator<Buffer> {
  for (let offset = 0; offset < chunk.length; offset += MAX_BLOCK_BYTES) {
    const size = Math.min(MAX_BLOCK_BYTES, chunk.length - offset);
    // Block header: bit 0 last block (no), bits 1-2 type (0 = raw), bits 3-23 size.
    const header = Buffer.allocUnsafe(3);
    header.writeUIntLE(size << 3, 0, 3);
    yield header;
    yield chunk.subarray(offset, offset + size);
  }
}

function compressesWell(chunk: Buffer, level: number): boolean {
  const sample = chunk.subarray(0, PROBE_BYTES);
  if (sample.length < 4096) return false;
  const probed = zstdCompressSync(sample, { params: { [constants.ZSTD_c_compressionLevel]: Math.min(level, 1) } });
  return probed.length < PROBE_RATIO * sample.length;
}

/** The plain bytes of one or more concatenated zstd frames (skippable frames skipped). */
export async function* decompressFrames(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const reader = new ByteReader(source);
  while (!(await reader.atEnd())) {
    const magic = await reader.exact(4, 'frame magic number');
    const value = magic.readUInt32LE(0);
    if ((value & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      const size = (await reader.exact(4, 'skippable frame size')).readUInt32LE(0);
      await reader.skip(size);
      continue;
    }
    if (value !== FRAME_MAGIC) throw new ZstdFormatError('not zstd data (unknown frame magic number)');
    const decoder = createZstdDecompress({ chunkSize: DECOMPRESS_CHUNK_BYTES });
    const feeding = pipeline(Readable.from(frameBytes(reader, magic), { highWaterMark: 1 }), decoder);
    feeding.catch(() => undefined);
    for await (const out of decoder as AsyncIterable<Buffer>) yield out;
    await feeding;
  }
}

export class ZstdFormatError extends Error {
  override name = 'ZstdFormatError';
}

/** One frame's bytes, from its magic number to its last block (and checksum), read from `reader`. */
async function* frameBytes(reader: ByteReader, magic: Buffer): AsyncGenerator<Buffer> {
  yield magic;
  const descriptor = await reader.exact(1, 'frame header');
  yield descriptor;
  const flags = descriptor[0] as number;
  const fcsFlag = flags >> 6;
  const singleSegment = (flags >> 5) & 1;
  const checksum = (flags >> 2) & 1;
  const dictionaryIdBytes = [0, 1, 2, 4][flags & 3] as number;
  const contentSizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag] as number;
  const rest = (singleSegment ? 0 : 1) + dictionaryIdBytes + contentSizeBytes;
  if (rest > 0) yield await reader.exact(rest, 'frame header');
  for (;;) {
    const header = await reader.exact(3, 'block header');
    yield header;
    const value = header.readUIntLE(0, 3);
    const last = value & 1;
    const type = (value >> 1) & 3;
    const size = value >>> 3;
    if (type === 3) throw new ZstdFormatError('corrupt zstd data (reserved block type)');
    let left = type === 1 ? 1 : size;
    while (left > 0) {
      const piece = await reader.upTo(left, 'block');
      left -= piece.length;
      yield piece;
    }
    if (last) break;
  }
  if (checksum) yield await reader.exact(4, 'frame checksum');
}

/** Reads exact byte counts from a stream of chunks without copying more than a header's worth. */
class ByteReader {
  private readonly iterator: AsyncIterator<Buffer>;
  private buffered: Buffer = Buffer.alloc(0);
  private done = false;

  constructor(source: AsyncIterable<Buffer>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  async atEnd(): Promise<boolean> {
    return !(await this.fill());
  }

  /** Exactly n bytes (n small). */
  async exact(n: number, what: string): Promise<Buffer> {
    while (this.buffered.length < n) {
      const more = await this.pull();
      if (more === undefined) throw new ZstdFormatError(`truncated zstd data (in the ${what})`);
      this.buffered = this.buffered.length === 0 ? more : Buffer.concat([this.buffered, more]);
    }
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return out;
  }

  /** Between 1 and n bytes. */
  async upTo(n: number, what: string): Promise<Buffer> {
    if (!(await this.fill())) throw new ZstdFormatError(`truncated zstd data (in a ${what})`);
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(out.length);
    return out;
  }

  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) left -= (await this.upTo(left, 'skippable frame')).length;
  }

  private async fill(): Promise<boolean> {
    while (this.buffered.length === 0) {
      const more = await this.pull();
      if (more === undefined) return false;
      this.buffered = more;
    }
    return true;
  }

  private async pull(): Promise<Buffer | undefined> {
    if (this.done) return undefined;
    const next = await this.iterator.next();
    if (next.done) {
      this.done = true;
      return undefined;
    }
    return next.value;
  }
}

/** An async iterator with one chunk of pushback, shared by the frames that take turns on it. */
class PushbackReader {
  private readonly iterator: AsyncIterator<Buffer>;
  private back: Buffer | undefined;
  ended = false;

  constructor(source: AsyncIterable<Buffer>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  async next(): Promise<Buffer | undefined> {
    if (this.back !== undefined) {
      const chunk = this.back;
      this.back = undefined;
      return chunk;
    }
    if (this.ended) return undefined;
    for (;;) {
      const next = await this.iterator.next();
      if (next.done) {
        this.ended = true;
        return undefined;
      }
      if (next.value.length > 0) return next.value;
    }
  }

  pushBack(chunk: Buffer): void {
    this.back = chunk;
  }
}
