// A streaming pax tar writer: entries in, tar bytes out, bodies passed through without being
// buffered, so an entry may be any size. Pull-driven (an async generator), so wrapping it in
// Readable.from() gives backpressure all the way back to whoever produces the bodies.
import { BLOCK_SIZE, MAX_USTAR_SIZE, encodeHeader, fitsUstarName, paddingAfter } from './tar-header.ts';
import { type PaxRecords, TarFormatError, encodePaxRecords } from './pax.ts';

export interface TarWriterEntry {
  /** Any UTF-8 path; one that does not fit the ustar name field goes in a pax `path` record. */
  path: string;
  size: number;
  mtimeSeconds: number;
  records: PaxRecords;
  /** Exactly `size` bytes; anything else fails the archive rather than corrupting it. */
  body: AsyncIterable<Buffer> | Iterable<Buffer>;
}

/** GNU tar and others write archives in 10 KiB records; readers expect the last one full. */
const RECORD_SIZE = 20 * BLOCK_SIZE;
const PAX_HEADER_NAME = '././@PaxHeader';

export async function* writeTar(entries: AsyncIterable<TarWriterEntry> | Iterable<TarWriterEntry>): AsyncGenerator<Buffer> {
  let written = 0;
  for await (const entry of entries) {
    for (const block of entryHeaders(entry)) {
      written += block.length;
      yield block;
    }
    let bodyBytes = 0;
    for await (const chunk of entry.body) {
      bodyBytes += chunk.length;
      if (bodyBytes > entry.size) break;
      written += chunk.length;
      yield chunk;
    }
    if (bodyBytes !== entry.size) {
      throw new TarFormatError(
        `tar entry ${JSON.stringify(entry.path)}: body has ${bodyBytes > entry.size ? `more than ${entry.size}` : `only ${bodyBytes}`} bytes, header says ${entry.size}`,
      );
    }
    const padding = paddingAfter(entry.size);
    if (padding > 0) {
      written += padding;
      yield Buffer.alloc(padding);
    }
  }
  // End of archive: two zero blocks, then zeros up to the record boundary.
  const end = 2 * BLOCK_SIZE;
  yield Buffer.alloc(end + ((RECORD_SIZE - ((written + end) % RECORD_SIZE)) % RECORD_SIZE));
}

function entryHeaders(entry: TarWriterEntry): Buffer[] {
  const records: (readonly [string, string])[] = [];
  const ustarName = fitsUstarName(entry.path) ? entry.path : asciiFallbackName(entry.path);
  if (ustarName !== entry.path) records.push(['path', entry.path]);
  if (entry.size > MAX_USTAR_SIZE) records.push(['size', String(entry.size)]);
  records.push(...entry.records);
  const header = encodeHeader({ name: ustarName, type: 'file', size: entry.size, mtimeSeconds: entry.mtimeSeconds });
  if (records.length === 0) return [header];
  const paxData = encodePaxRecords(records);
  const paxHeader = encodeHeader({ name: PAX_HEADER_NAME, type: 'pax', size: paxData.length, mtimeSeconds: entry.mtimeSeconds });
  return [paxHeader, paxData, Buffer.alloc(paddingAfter(paxData.length)), header];
}

/** For readers that ignore pax: the path with non-ASCII replaced, cut to the 100-byte field. */
function asciiFallbackName(path: string): string {
  const ascii = path.replace(/[^\x20-\x7e]/g, '_');
  return ascii.length <= 100 ? ascii || '_' : ascii.slice(0, 100);
}
