import { describe, expect, it } from '@jest/globals';
import { compareBucket, describeComparison, objectsToHash, type ExpectedObject } from './bucket-compare.ts';

const sha = (char: string) => char.repeat(64);
const expected = new Map<string, ExpectedObject>([
  ['restored/a.txt', { sourceKey: 'a.txt', sizeBytes: 3, sha256: sha('a') }],
  ['restored/b.txt', { sourceKey: 'b.txt', sizeBytes: 5, sha256: sha('b') }],
  ['restored/c.txt', { sourceKey: 'c.txt', sizeBytes: 7, sha256: sha('c') }],
]);

describe('objectsToHash', () => {
  it('reads back only what is there with the expected size', () => {
    const listed = new Map([
      ['restored/a.txt', 3],
      ['restored/b.txt', 6],
      ['other', 1],
    ]);
    expect(objectsToHash(expected, listed)).toEqual(['restored/a.txt']);
  });
});

describe('compareBucket', () => {
  it('passes a bucket that holds exactly the backup', () => {
    const listed = new Map([...expected].map(([key, object]) => [key, object.sizeBytes] as const));
    const hashed = new Map([...expected].map(([key, object]) => [key, object.sha256] as const));
    const result = compareBucket(expected, listed, hashed);
    expect(result).toMatchObject({ passed: true, objectCount: { expected: 3, actual: 3 }, checked: 3, mismatched: 0, missing: 0, extra: 0, mismatches: [] });
  });

  it('counts a changed body, a changed size, a missing and an extra object', () => {
    const listed = new Map([
      ['restored/a.txt', 3],
      ['restored/b.txt', 9],
      ['restored/zzz', 1],
    ]);
    const hashed = new Map([['restored/a.txt', sha('f')]]);
    const result = compareBucket(expected, listed, hashed);
    expect(result).toMatchObject({
      passed: false,
      objectCount: { expected: 3, actual: 3 },
      checked: 1,
      mismatched: 2,
      missing: 1,
      extra: 1,
      missingKeys: ['restored/c.txt'],
      extraKeys: ['restored/zzz'],
      mismatches: [
        { key: 'restored/a.txt', expected: `3 bytes, SHA-256 ${'a'.repeat(12)}…`, actual: `3 bytes, SHA-256 ${'f'.repeat(12)}…` },
        { key: 'restored/b.txt', expected: `5 bytes, SHA-256 ${'b'.repeat(12)}…`, actual: '9 bytes' },
      ],
    });
    expect(describeComparison('lifeboat-scratch-x-0', result)).toBe(
      'restored bucket lifeboat-scratch-x-0 does not match the backup: 2 of 3 objects differ from the backup, 1 missing, 1 not in the backup (expected 3 objects, found 3); first: "restored/a.txt"',
    );
  });

  it('counts an object gone between the listing and its GET as missing', () => {
    const listed = new Map([...expected].map(([key, object]) => [key, object.sizeBytes] as const));
    const hashed = new Map<string, string | undefined>([
      ['restored/a.txt', sha('a')],
      ['restored/b.txt', undefined],
      ['restored/c.txt', sha('c')],
    ]);
    expect(compareBucket(expected, listed, hashed)).toMatchObject({ passed: false, missing: 1, mismatched: 0, checked: 2, missingKeys: ['restored/b.txt'] });
  });

  it('keeps the lists short and the keys clipped', () => {
    const many = new Map<string, ExpectedObject>(
      Array.from({ length: 30 }, (_, i) => [`${'k'.repeat(300)}${i}`, { sourceKey: String(i), sizeBytes: 1, sha256: sha('a') }] as const),
    );
    const listed = new Map([...many.keys()].map((key) => [key, 1] as const));
    const hashed = new Map([...many.keys()].map((key) => [key, sha('b')] as const));
    const result = compareBucket(many, listed, hashed);
    expect(result.mismatched).toBe(30);
    expect(result.mismatches).toHaveLength(10);
    expect(result.mismatches[0]?.key).toHaveLength(100);
    expect(JSON.stringify(result).length).toBeLessThan(4096);
  });
});
