import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { zstdCompressSync } from 'node:zlib';
import { COMPRESSED_WINDOW_BYTES, PROBE_EVERY_BYTES, compressFrames, decompressFrames } from './zstd-frames.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Bytes that do not compress, as media or encrypted objects. */
function noise(bytes: number, seed: number): Buffer {
  return createCipheriv('aes-256-ctr', Buffer.alloc(32, seed), Buffer.alloc(16)).update(Buffer.alloc(bytes));
}

function text(bytes: number): Buffer {
  const line = Buffer.from('{"id":42,"name":"lifeboat","tags":["a","b"]}\n');
  return Buffer.alloc(bytes, line);
}

/** In pieces of 128 KiB, as the archive comes. */
function* pieces(data: Buffer, size = 128 * KiB): Generator<Buffer> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const chunk of source) out.push(chunk);
  return Buffer.concat(out);
}

async function* from(chunks: Iterable<Buffer>): AsyncGenerator<Buffer> {
  yield* chunks;
}

const compress = (data: Buffer) => collect(compressFrames(from(pieces(data)), { level: 3 }));
const decompress = (stored: Buffer, size = 7777) => collect(decompressFrames(from(pieces(stored, size))));

/** Frame magic numbers at frame starts, walking the frames by their block headers. */
function countFrames(stored: Buffer): number {
  let offset = 0;
  let frames = 0;
  while (offset < stored.length) {
    expect(stored.readUInt32LE(offset)).toBe(0xfd2fb528);
    frames += 1;
    const flags = stored[offset + 4] as number;
    const singleSegment = (flags >> 5) & 1;
    offset += 5 + (singleSegment ? 0 : 1) + ([0, 1, 2, 4][flags & 3] as number) + ([singleSegment, 2, 4, 8][flags >> 6] as number);
    for (;;) {
      const header = stored.readUIntLE(offset, 3);
      offset += 3 + (((header >> 1) & 3) === 1 ? 1 : header >>> 3);
      if (header & 1) break;
    }
    if ((flags >> 2) & 1) offset += 4;
  }
  return frames;
}

describe('compressFrames / decompressFrames', () => {
  it('keeps data that compresses in one compressed frame', async () => {
    const data = text(3 * COMPRESSED_WINDOW_BYTES);
    const stored = await compress(data);
    expect(stored.length).toBeLessThan(data.length / 100);
    expect(countFrames(stored)).toBe(1);
    expect((await decompress(stored)).equals(data)).toBe(true);
  });

  it('stores data that does not compress, at little more than its size', async () => {
    const data = noise(3 * COMPRESSED_WINDOW_BYTES, 1);
    const stored = await compress(data);
    // A compressed frame while the compressor is being judged, then stored frames.
    expect(countFrames(stored)).toBe(2);
    expect(stored.length - data.length).toBeLessThan(data.length / 1000);
    expect((await decompress(stored)).equals(data)).toBe(true);
  });

  it('goes back to compressing when a probe finds compressible data again', async () => {
    const data = Buffer.concat([noise(2 * COMPRESSED_WINDOW_BYTES, 2), text(4 * PROBE_EVERY_BYTES), noise(MiB, 3)]);
    const stored = await compress(data);
    expect(countFrames(stored)).toBeGreaterThanOrEqual(3);
    // The text after the noise compressed: far less than noise plus text stored.
    expect(stored.length).toBeLessThan(2 * COMPRESSED_WINDOW_BYTES + 2 * PROBE_EVERY_BYTES + 2 * MiB);
    expect((await decompress(stored)).equals(data)).toBe(true);
  });

  it('writes a valid empty frame for empty input', async () => {
    const stored = await compress(Buffer.alloc(0));
    expect(stored.length).toBeGreaterThan(0);
    expect((await decompress(stored)).length).toBe(0);
  });

  it('reads artifacts written as one frame, concatenated frames and skippable frames', async () => {
    const [a, b] = [text(300 * KiB), noise(200 * KiB, 4)];
    expect((await decompress(zstdCompressSync(a), 1000)).equals(a)).toBe(true);
    const skippable = Buffer.concat([Buffer.from([0x50, 0x2a, 0x4d, 0x18, 5, 0, 0, 0]), Buffer.from('hello')]);
    const joined = Buffer.concat([zstdCompressSync(a), skippable, zstdCompressSync(b)]);
    expect((await decompress(joined, 333)).equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('fails on truncated or foreign data instead of returning less', async () => {
    const stored = await compress(noise(2 * COMPRESSED_WINDOW_BYTES, 5));
    await expect(decompress(stored.subarray(0, stored.length - 1000))).rejects.toThrow(/truncated zstd data/);
    await expect(decompress(Buffer.from('not zstd at all'))).rejects.toThrow(/not zstd data/);
  });

  const zstdCli = spawnSync('zstd', ['--version']).status === 0;
  (zstdCli ? it : it.skip)('writes what the zstd command decompresses (restore by hand)', async () => {
    const data = Buffer.concat([text(MiB), noise(2 * COMPRESSED_WINDOW_BYTES, 6), text(4 * PROBE_EVERY_BYTES)]);
    const stored = await compress(data);
    const result = spawnSync('zstd', ['-d', '-c', '-q'], { input: stored, maxBuffer: 256 * MiB });
    expect(result.status).toBe(0);
    expect(result.stdout.equals(data)).toBe(true);
  });
});
