import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zstdCompressSync } from 'node:zlib';
import { ChecksumMismatchError } from '../failures/runner-error.ts';
import type { GetObject } from '../s3/object-reader.ts';
import { downloadArtifactInRanges } from './artifact-download.ts';

const KiB = 1024;

/** One stored object served in 4 KiB chunks, ranges honoured. */
function store(stored: Buffer): GetObject {
  return async (request) => {
    const start = request.range?.start ?? 0;
    const end = request.range?.end ?? stored.length - 1;
    async function* body(): AsyncGenerator<Buffer> {
      for (let offset = start; offset <= end; offset += 4 * KiB) yield stored.subarray(offset, Math.min(offset + 4 * KiB, end + 1));
    }
    return { body: body(), metadata: {} };
  };
}

const hasZstd = (() => {
  try {
    execFileSync('zstd', ['--version']);
    return true;
  } catch {
    return false;
  }
})();

describe('downloadArtifactInRanges', () => {
  const plain = Buffer.concat([randomBytes(300 * KiB), Buffer.alloc(700 * KiB, 'pg_restore reads this ')]);
  const stored = zstdCompressSync(plain);
  const artifact = {
    key: 'db/dump.zst',
    sizeBytes: stored.length,
    sha256: createHash('sha256').update(stored).digest('hex'),
    compression: 'zstd' as const,
    encryption: null,
  };
  const ranges = { rangeBytes: 64 * KiB, concurrency: 3 };

  const withDir = async (work: (dir: string) => Promise<void>): Promise<void> => {
    const dir = mkdtempSync(join(tmpdir(), 'artifact-download-'));
    try {
      await work(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('writes the decompressed artifact in-process', () =>
    withDir(async (dir) => {
      const path = join(dir, 'dump');
      await downloadArtifactInRanges(store(stored), { bucket: 'b', artifact, head: { sizeBytes: stored.length }, path, ranges });
      expect(readFileSync(path).equals(plain)).toBe(true);
    }));

  (hasZstd ? it : it.skip)('writes the decompressed artifact through a zstd process', () =>
    withDir(async (dir) => {
      const path = join(dir, 'dump');
      let counted = 0;
      await downloadArtifactInRanges(store(stored), {
        bucket: 'b',
        artifact,
        head: { sizeBytes: stored.length },
        path,
        ranges,
        zstd: { bin: 'zstd', env: process.env },
        onStoredBytes: (count) => (counted += count),
      });
      expect(readFileSync(path).equals(plain)).toBe(true);
      expect(counted).toBe(stored.length);
    }));

  (hasZstd ? it : it.skip)('fails on a corrupt object with a checksum mismatch and leaves no file', () =>
    withDir(async (dir) => {
      const corrupt = Buffer.from(stored);
      corrupt[corrupt.length >> 1] = (corrupt[corrupt.length >> 1] as number) ^ 0xff;
      const path = join(dir, 'dump');
      const download = downloadArtifactInRanges(store(corrupt), {
        bucket: 'b',
        artifact,
        head: { sizeBytes: corrupt.length },
        path,
        ranges,
        zstd: { bin: 'zstd', env: process.env },
      });
      await expect(download).rejects.toBeInstanceOf(ChecksumMismatchError);
      expect(existsSync(path)).toBe(false);
      expect(readdirSync(dir)).toEqual([]);
    }));

  it('fails when the object has grown past its manifest size', () =>
    withDir(async (dir) => {
      const grown = Buffer.concat([stored, Buffer.from('appended')]);
      const path = join(dir, 'dump');
      await expect(
        downloadArtifactInRanges(store(grown), { bucket: 'b', artifact, head: { sizeBytes: grown.length }, path, ranges }),
      ).rejects.toBeInstanceOf(ChecksumMismatchError);
      expect(existsSync(path)).toBe(false);
    }));
});
