import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { readBucketArchive, writeBucketArchive, type ObjectToArchive } from './bucket-archive.ts';
import type { ArchivedObject } from './object-entry.ts';
import { TarFormatError } from './pax.ts';

const AWKWARD_KEYS = [
  'a',
  'a/b',
  'a/b/c',
  'ünïcödé/日本語/файл.txt',
  '🚀 rocket',
  'with spaces/and  double  spaces ',
  '../x',
  './x',
  '//',
  '//leading/slashes',
  'a//b',
  'x/./y',
  'x/../y',
  'dir/',
  'k'.repeat(1000),
  `${'é/'.repeat(300)}end`.slice(0, 999),
  'tab\there',
  'newline\nkey',
  'percent%20 plus+ question? hash# quote" apostrophe\' back\\slash &<xml>',
  'empty',
];

function bodyFor(key: string, index: number): Buffer {
  if (key === 'empty' || key === 'dir/') return Buffer.alloc(0);
  // Sizes around block boundaries: 511, 512, 513 and a few larger.
  const size = [1, 511, 512, 513, 10_000, 70_000][index % 6] as number;
  return Buffer.alloc(size, `${index}:${key}`);
}

const objects: ArchivedObject[] = AWKWARD_KEYS.map((key, index) => ({
  key,
  size: bodyFor(key, index).length,
  metadata: index % 2 === 0 ? { owner: 'ünï', 'x-trace': `id=${index}; a=b` } : ({} as Record<string, string>),
  etag: `"${createHash('md5').update(bodyFor(key, index)).digest('hex')}"`,
  lastModified: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)),
  ...(index % 3 === 0 ? { contentType: 'text/plain; charset=utf-8', cacheControl: 'no-cache' } : {}),
}));

async function archiveOf(items: ArchivedObject[], bodies = (o: ArchivedObject, i: number) => bodyFor(o.key, i)) {
  async function* input(): AsyncGenerator<ObjectToArchive> {
    for (const [index, object] of items.entries()) yield { object, body: [bodies(object, index)] };
  }
  const chunks: Buffer[] = [];
  for await (const chunk of writeBucketArchive(input())) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Feeds bytes in awkward pieces, as a network or decompressor would. */
async function* pieces(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

async function readAll(archive: AsyncIterable<Buffer>) {
  const read: { object: ArchivedObject; path: string; body: Buffer }[] = [];
  for await (const entry of readBucketArchive(archive)) {
    const body: Buffer[] = [];
    for await (const chunk of entry.body) body.push(chunk);
    read.push({ object: entry.object, path: entry.path, body: Buffer.concat(body) });
  }
  return read;
}

describe('bucket archive', () => {
  it.each([1, 7, 512, 4096, 1 << 20])('round-trips awkward keys, bodies and metadata exactly (fed %d bytes at a time)', async (pieceSize) => {
    const archive = await archiveOf(objects);
    const read = await readAll(pieces(archive, pieceSize));
    expect(read.map((entry) => entry.object)).toEqual(objects);
    for (const [index, entry] of read.entries()) expect(entry.body.equals(bodyFor(entry.object.key, index))).toBe(true);
  });

  it('skips bodies the reader does not consume', async () => {
    const archive = await archiveOf(objects);
    const keys: string[] = [];
    for await (const entry of readBucketArchive(pieces(archive, 1000))) keys.push(entry.object.key);
    expect(keys).toEqual(AWKWARD_KEYS);
  });

  it('fails on an archive cut before its end blocks, even at an entry boundary', async () => {
    const archive = await archiveOf(objects.slice(0, 2));
    const firstEntryEnd = archive.length - 10240; // the end blocks pad to one 10 KiB record
    await expect(readAll(pieces(archive.subarray(0, firstEntryEnd), 4096))).rejects.toThrow(/truncated tar archive/);
    await expect(readAll(pieces(archive.subarray(0, 1500), 4096))).rejects.toThrow(TarFormatError);
  });

  it('fails on a corrupted header block', async () => {
    // (pax record data carries no checksum of its own: the artifact's SHA-256 covers it.)
    const archive = await archiveOf(objects.slice(0, 1));
    archive.writeUInt8(archive.readUInt8(101) ^ 0x01, 101);
    await expect(readAll(pieces(archive, 4096))).rejects.toThrow(/checksum mismatch/);
  });

  it('refuses a body whose length differs from the declared size', async () => {
    await expect(archiveOf(objects.slice(0, 1), () => Buffer.alloc(0))).rejects.toThrow(/body has only 0 bytes, header says 1/);
    await expect(archiveOf(objects.slice(0, 1), () => Buffer.alloc(5000))).rejects.toThrow(/more than/);
  });
});

const gnuTar = /GNU tar/.test(spawnSync('tar', ['--version'], { encoding: 'utf8' }).stdout ?? '');
if (!gnuTar) console.warn('GNU tar not found: skipping the stock-tar compatibility checks');

(gnuTar ? describe : describe.skip)('bucket archive with GNU tar', () => {
  it('lists without a warning and extracts only inside the target directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-tar-'));
    try {
      const archivePath = join(dir, 'bucket.tar');
      writeFileSync(archivePath, await archiveOf(objects));
      const expectedPaths = (await readAll(pieces(readFileSync(archivePath), 1 << 16))).map((entry) => entry.path);

      const listing = spawnSync('tar', ['-tf', archivePath], { encoding: 'utf8' });
      expect(listing.stderr).toBe('');
      expect(listing.status).toBe(0);
      // GNU tar escapes backslashes and control characters in listings.
      const escaped = expectedPaths.map((path) => path.replace(/\\/g, '\\\\').replace(/\t/g, '\\t'));
      expect(listing.stdout.trimEnd().split('\n')).toEqual(escaped);

      const extractDir = join(dir, 'out');
      spawnSync('mkdir', [extractDir]);
      const extraction = spawnSync('tar', ['--xattrs', '--xattrs-include=user.lifeboat.*', '-xf', archivePath, '-C', extractDir], {
        encoding: 'utf8',
      });
      expect(extraction.stderr).toBe('');
      expect(extraction.status).toBe(0);
      const files = walk(extractDir).map((path) => relative(extractDir, path));
      expect(files.sort()).toEqual([...expectedPaths].sort());
      expect(readdirSync(dir).sort()).toEqual(['bucket.tar', 'out']);
      const unicode = objects.findIndex((object) => object.key.startsWith('ünïcödé'));
      expect(readFileSync(join(extractDir, 'objects', AWKWARD_KEYS[unicode] as string)).equals(bodyFor(AWKWARD_KEYS[unicode] as string, unicode))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}
