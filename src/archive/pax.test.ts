import { describe, expect, it } from '@jest/globals';
import { decodePaxRecords, encodePaxRecords } from './pax.ts';

describe('pax records', () => {
  it('round-trips values with newlines, "=", unicode and NUL-free binary-looking text', () => {
    const records: [string, string][] = [
      ['path', 'objects/ünïcödé ключ/日本'],
      ['SCHILY.xattr.user.lifeboat.key', 'a=b\nc = d\n'],
      ['SCHILY.xattr.user.lifeboat.meta.empty', ''],
    ];
    expect([...decodePaxRecords(encodePaxRecords(records))]).toEqual(records);
  });

  it.each([1, 80, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 990, 995, 996, 997, 998, 999, 1000])(
    'counts its own length digits correctly around powers of ten (value of %d bytes)',
    (valueBytes) => {
      const encoded = encodePaxRecords([['k', 'v'.repeat(valueBytes)]]);
      const declared = Number(encoded.toString('ascii', 0, encoded.indexOf(0x20)));
      expect(declared).toBe(encoded.length);
      expect(decodePaxRecords(encoded).get('k')).toBe('v'.repeat(valueBytes));
    },
  );

  it('uses byte length, not string length, for multi-byte values', () => {
    const encoded = encodePaxRecords([['k', '€'.repeat(50)]]);
    expect(Number(encoded.toString('ascii', 0, encoded.indexOf(0x20)))).toBe(encoded.length);
  });

  it('rejects malformed records', () => {
    expect(() => decodePaxRecords(Buffer.from('99 path=x\n'))).toThrow(/malformed PAX record/);
    expect(() => decodePaxRecords(Buffer.from('8 pathx\n'))).toThrow(/without '='/);
    expect(() => encodePaxRecords([['a=b', 'x']])).toThrow(/invalid PAX keyword/);
  });
});
