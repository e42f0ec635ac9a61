import { describe, expect, it } from '@jest/globals';
import { durationField, formatDuration, parseDuration } from './duration.ts';
import { formatBytes } from './size.ts';

describe('parseDuration', () => {
  it.each([
    ['30m', 1_800_000],
    ['1h', 3_600_000],
    ['24h', 86_400_000],
    ['1h30m', 5_400_000],
    ['90s', 90_000],
    ['1h0m5s', 3_605_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'h', '1d', '1 h', '30m1h', '1.5h', '-1h', '1H'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
    expect(durationField('x').safeParse(text).success).toBe(false);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [400, '0s'],
    [92_000, '1m32s'],
    [3_600_000, '1h'],
    [3_605_000, '1h5s'],
    [50 * 3_600_000 + 180_000, '50h3m'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    expect(parseDuration(formatDuration(5_432_000))).toBe(5_432_000);
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [1.4 * 1024 ** 3, '1.4 GiB'],
    [123.4 * 1024 ** 2, '123 MiB'],
    [2 * 1024 ** 6, '2048 PiB'],
  ])('%d bytes is %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
