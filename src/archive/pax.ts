// PAX extended header records (POSIX.1-2001 pax, "pax Extended Header"): a sequence of
// "<length> <keyword>=<value>\n" where length counts the whole record in bytes, its own
// digits included. Values are arbitrary UTF-8, newlines and '=' allowed, so an object key
// survives exactly whatever it contains.
export type PaxRecords = ReadonlyArray<readonly [keyword: string, value: string]>;

export class TarFormatError extends Error {
  override name = 'TarFormatError';
}

export function encodePaxRecords(records: PaxRecords): Buffer {
  const encoded = records.map(([keyword, value]) => {
    if (keyword === '' || keyword.includes('=') || /[\0\n ]/.test(keyword)) {
      throw new TarFormatError(`invalid PAX keyword ${JSON.stringify(keyword)}`);
    }
    const body = Buffer.from(` ${keyword}=${value}\n`, 'utf8');
    // The length prefix counts its own digits, which can carry it over a power of ten.
    let length = body.length + String(body.length).length;
    if (String(length).length !== String(body.length).length) length = body.length + String(length).length;
    return Buffer.concat([Buffer.from(String(length), 'ascii'), body]);
  });
  return Buffer.concat(encoded);
}

export function decodePaxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let offset = 0;
  while (offset < data.length) {
    // Some writers pad the record block with NULs; nothing follows them.
    if (data[offset] === 0) break;
    const space = data.indexOf(0x20, offset);
    const lengthText = space > offset ? data.toString('ascii', offset, space) : '';
    const length = /^[0-9]+$/.test(lengthText) ? Number(lengthText) : NaN;
    const end = offset + length;
    if (!Number.isSafeInteger(length) || length <= lengthText.length + 1 || end > data.length || data[end - 1] !== 0x0a) {
      throw new TarFormatError(`malformed PAX record at byte ${offset}`);
    }
    const equals = data.indexOf(0x3d, space + 1);
    if (equals < 0 || equals >= end) throw new TarFormatError(`PAX record without '=' at byte ${offset}`);
    records.set(data.toString('utf8', space + 1, equals), data.toString('utf8', equals + 1, end - 1));
    offset = end;
  }
  return records;
}
