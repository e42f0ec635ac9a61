import { describe, expect, it } from '@jest/globals';
import { MALLOC_TUNABLES, memoryBytes, runnerMallocTunables, runnerNodeOptions } from './runner-heap.ts';

describe('runner heap sizing', () => {
  it.each([
    ['1Gi', 2 ** 30],
    ['512Mi', 512 * 2 ** 20],
    ['2G', 2e9],
    ['1073741824', 2 ** 30],
    [' 256Mi ', 256 * 2 ** 20],
    ['1.5Gi', 1.5 * 2 ** 30],
  ])('reads the memory quantity %s as %d bytes', (quantity, bytes) => {
    expect(memoryBytes(quantity)).toBe(bytes);
  });

  it.each(['lots', '1GB', '-1Gi', ''])('does not guess at the unreadable quantity %p', (quantity) => {
    expect(memoryBytes(quantity)).toBeUndefined();
  });

  it.each([
    ['1Gi', '--max-semi-space-size=8 --max-old-space-size=384'],
    ['256Mi', '--max-semi-space-size=8 --max-old-space-size=96'],
    ['128Mi', '--max-semi-space-size=8 --max-old-space-size=64'],
    ['64Gi', '--max-semi-space-size=8 --max-old-space-size=4096'],
  ])('gives a runner limited to %s the heap flags %s', (limit, flags) => {
    expect(runnerNodeOptions(limit)).toBe(flags);
  });

  it('leaves V8 its defaults when the container has no memory limit', () => {
    expect(runnerNodeOptions(undefined)).toBeUndefined();
  });

  it.each([
    ['1Gi', MALLOC_TUNABLES],
    ['4Gi', MALLOC_TUNABLES],
    [undefined, MALLOC_TUNABLES],
    ['512Mi', undefined],
    ['256Mi', undefined],
    ['lots', undefined],
  ])('gives a runner limited to %s the malloc tunables %s', (limit, tunables) => {
    expect(runnerMallocTunables(limit)).toBe(tunables);
  });
});
