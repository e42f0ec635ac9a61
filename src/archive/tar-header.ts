// The 512-byte ustar header block (POSIX.1-1988 ustar, as extended by pax). Only what a bucket
// archive needs: regular files and pax extended headers, with the name, size and mtime in
// the block and everything that does not fit in pax records.
import { TarFormatError } from './pax.ts';

export const BLOCK_SIZE = 512;
/** 11 octal digits: the ustar size field's limit (8 GiB - 1). Larger sizes go in a pax record. */
export const MAX_USTAR_SIZE = 0o77777777777;

export type TarEntryType = 'file' | 'directory' | 'pax' | 'pax-global' | 'gnu-long-name' | 'other';

export interface TarHeader {
  name: string;
  type: TarEntryType;
  /** The raw typeflag character, for error messages. */
  typeflag: string;
  size: number;
  mtimeSeconds: number;
}

const TYPEFLAGS: Record<string, TarEntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '5': 'directory',
  x: 'pax',
  g: 'pax-global',
  L: 'gnu-long-name',
};
const TYPEFLAG_OF: Record<'file' | 'pax', string> = { file: '0', pax: 'x' };

export interface HeaderFields {
  /** ASCII, at most 100 bytes: longer or non-ASCII names travel in the pax `path` record. */
  name: string;
  type: 'file' | 'pax';
  size: number;
  mtimeSeconds: number;
}

export function encodeHeader(fields: HeaderFields): Buffer {
  const block = Buffer.alloc(BLOCK_SIZE);
  if (!fitsUstarName(fields.name)) throw new TarFormatError(`tar header name does not fit ustar: ${fields.name}`);
  block.write(fields.name, 0, 100, 'ascii');
  writeOctal(block, 100, 8, 0o644);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, Math.min(fields.size, MAX_USTAR_SIZE));
  writeOctal(block, 136, 12, Math.max(0, Math.min(Math.floor(fields.mtimeSeconds), MAX_USTAR_SIZE)));
  block.write(TYPEFLAG_OF[fields.type], 156, 1, 'ascii');
  block.write('ustar\0', 257, 6, 'ascii');
  block.write('00', 263, 2, 'ascii');
  block.write('        ', 148, 8, 'ascii');
  const checksum = block.reduce((sum, byte) => sum + byte, 0);
  block.write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return block;
}

export function fitsUstarName(name: string): boolean {
  return name.length > 0 && name.length <= 100 && /^[\x20-\x7e]+$/.test(name);
}

/** Returns undefined for an all-zero block (end of archive). */
export function decodeHeader(block: Buffer): TarHeader | undefined {
  if (block.length !== BLOCK_SIZE) throw new TarFormatError('short tar header block');
  if (block.every((byte) => byte === 0)) return undefined;
  verifyChecksum(block);
  const magic = block.toString('latin1', 257, 263);
  if (magic !== 'ustar\0' && magic !== 'ustar ') throw new TarFormatError('not a ustar/pax tar archive');
  const typeflag = block.toString('latin1', 156, 157);
  const prefix = magic === 'ustar\0' ? readString(block, 345, 155) : '';
  const baseName = readString(block, 0, 100);
  return {
    name: prefix ? `${prefix}/${baseName}` : baseName,
    type: TYPEFLAGS[typeflag] ?? 'other',
    typeflag,
    size: readNumber(block, 124, 12),
    mtimeSeconds: readNumber(block, 136, 12),
  };
}

/** Bytes of padding after an entry body of this size. */
export function paddingAfter(size: number): number {
  return (BLOCK_SIZE - (size % BLOCK_SIZE)) % BLOCK_SIZE;
}

function writeOctal(block: Buffer, offset: number, width: number, value: number): void {
  block.write(`${value.toString(8).padStart(width - 1, '0')}\0`, offset, width, 'ascii');
}

function readString(block: Buffer, offset: number, width: number): string {
  const field = block.subarray(offset, offset + width);
  const end = field.indexOf(0);
  return field.toString('utf8', 0, end < 0 ? width : end);
}

function readNumber(block: Buffer, offset: number, width: number): number {
  const field = block.subarray(offset, offset + width);
  // GNU base-256: high bit of the first byte set, big-endian binary in the rest.
  if ((field[0] as number) & 0x80) {
    let value = (field[0] as number) & 0x7f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    if (!Number.isSafeInteger(value)) throw new TarFormatError('tar numeric field out of range');
    return value;
  }
  const text = field.toString('ascii').replace(/[\0 ]+$/, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`invalid octal field in tar header: ${JSON.stringify(text)}`);
  return parseInt(text, 8);
}

function verifyChecksum(block: Buffer): void {
  const stored = readNumber(block, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (block[i] as number);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  if (stored !== unsigned && stored !== signed) throw new TarFormatError('tar header checksum mismatch');
}
