// A streaming pax tar reader: tar bytes in, entries out, each body streamed in the chunks it
// arrived in, so an entry of any size passes through with flat memory. Regular files are
// yielded; directories are skipped; pax and GNU long-name headers are applied to the entry
// they precede. An archive that ends without its end-of-archive blocks is an error, so a cut
// stream never looks like a complete archive. After the end blocks the rest of the source is
// read and dropped, so whatever hashes the stream upstream sees every byte.
import { ByteQueue } from '../crypto/byte-queue.ts';
import { TarFormatError, decodePaxRecords } from './pax.ts';
import { BLOCK_SIZE, decodeHeader, paddingAfter } from './tar-header.ts';

export interface TarReaderEntry {
  path: string;
  size: number;
  mtimeSeconds: number;
  records: ReadonlyMap<string, string>;
  /**
   * The entry's bytes. Read it (or not) before asking for the next entry: whatever is left
   * unread is skipped then. It cannot be read after that.
   */
  body: AsyncIterable<Buffer>;
}

/** Metadata headers are small; a bigger one means a corrupt or hostile archive. */
const MAX_METADATA_ENTRY_BYTES = 1024 * 1024;

export async function* readTar(source: AsyncIterable<Buffer>): AsyncGenerator<TarReaderEntry> {
  const input = new SourceReader(source[Symbol.asyncIterator]());
  const globalRecords = new Map<string, string>();
  let pendingRecords = new Map<string, string>();
  let pendingLongName: string | undefined;
  try {
    for (;;) {
      const block = await input.readExact(BLOCK_SIZE, 'the archive ends without its end-of-archive blocks');
      const header = decodeHeader(block);
      if (header === undefined) break;
      const records = new Map([...globalRecords, ...pendingRecords]);
      const size = records.has('size') ? parseSize(records.get('size') as string) : header.size;

      if (header.type === 'pax' || header.type === 'pax-global' || header.type === 'gnu-long-name') {
        const data = await readMetadata(input, size, header.name);
        if (header.type === 'pax') pendingRecords = decodePaxRecords(data);
        else if (header.type === 'pax-global') for (const [k, v] of decodePaxRecords(data)) globalRecords.set(k, v);
        else pendingLongName = data.toString('utf8').replace(/\0+$/, '');
        continue;
      }
      const path = records.get('path') ?? pendingLongName ?? header.name;
      pendingRecords = new Map();
      pendingLongName = undefined;

      if (header.type === 'directory') {
        await input.skip(size + paddingAfter(size));
        continue;
      }
      if (header.type !== 'file') {
        throw new TarFormatError(`tar entry ${JSON.stringify(path)} has type '${header.typeflag}': only regular files are expected`);
      }
      const mtime = records.has('mtime') ? Number(records.get('mtime')) : header.mtimeSeconds;
      const body = new EntryBody(input, size);
      yield { path, size, mtimeSeconds: mtime, records, body };
      await body.skipRest();
      await input.skip(paddingAfter(size));
    }
    await input.drain();
  } finally {
    await input.close();
  }
}

async function readMetadata(input: SourceReader, size: number, name: string): Promise<Buffer> {
  if (size > MAX_METADATA_ENTRY_BYTES) throw new TarFormatError(`tar metadata header ${JSON.stringify(name)} is ${size} bytes: too large`);
  const data = await input.readExact(size, 'the archive ends inside a pax header');
  await input.skip(paddingAfter(size));
  return data;
}

function parseSize(text: string): number {
  const size = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(size)) throw new TarFormatError(`invalid pax size record ${JSON.stringify(text)}`);
  return size;
}

class EntryBody implements AsyncIterable<Buffer> {
  private readonly input: SourceReader;
  private remaining: number;
  private started = false;

  constructor(input: SourceReader, size: number) {
    this.input = input;
    this.remaining = size;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    if (this.started) throw new Error('a tar entry body can be read only once');
    this.started = true;
    while (this.remaining > 0) {
      const piece = await this.input.readSome(this.remaining, 'the archive ends inside an entry body');
      this.remaining -= piece.length;
      yield piece;
    }
  }

  async skipRest(): Promise<void> {
    this.started = true;
    await this.input.skip(this.remaining);
    this.remaining = 0;
  }
}

class SourceReader {
  private readonly iterator: AsyncIterator<Buffer>;
  private readonly queue = new ByteQueue();
  private ended = false;

  constructor(iterator: AsyncIterator<Buffer>) {
    this.iterator = iterator;
  }

  async readExact(size: number, truncatedMessage: string): Promise<Buffer> {
    await this.fill(size, truncatedMessage);
    return this.queue.take(size);
  }

  /** Between 1 and max bytes, whatever is at hand without copying. */
  async readSome(max: number, truncatedMessage: string): Promise<Buffer> {
    await this.fill(1, truncatedMessage);
    return this.queue.takeHead(max);
  }

  async skip(size: number): Promise<void> {
    let left = size;
    while (left > 0) left -= (await this.readSome(left, 'the archive ends inside an entry')).length;
  }

  async drain(): Promise<void> {
    this.queue.takeAll();
    while (!this.ended) {
      await this.pull();
      this.queue.takeAll();
    }
  }

  async close(): Promise<void> {
    if (!this.ended) await this.iterator.return?.();
  }

  private async fill(size: number, truncatedMessage: string): Promise<void> {
    while (this.queue.length < size) {
      if (this.ended) throw new TarFormatError(`truncated tar archive: ${truncatedMessage}`);
      await this.pull();
    }
  }

  private async pull(): Promise<void> {
    const next = await this.iterator.next();
    if (next.done) this.ended = true;
    else this.queue.push(Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array));
  }
}
