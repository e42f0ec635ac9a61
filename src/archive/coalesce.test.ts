import { describe, expect, it } from '@jest/globals';
import { coalesce } from './coalesce.ts';

async function sizesOf(chunks: number[], target: number): Promise<{ sizes: number[]; same: Buffer[] }> {
  const input: Buffer[] = chunks.map((size, index) => Buffer.alloc(size, index));
  const sizes: number[] = [];
  const same: Buffer[] = [];
  async function* source() {
    yield* input;
  }
  const output: Buffer[] = [];
  for await (const chunk of coalesce(source(), target)) {
    sizes.push(chunk.length);
    if (input.includes(chunk)) same.push(chunk);
    output.push(chunk);
  }
  expect(Buffer.concat(output).equals(Buffer.concat(input))).toBe(true);
  return { sizes, same };
}

describe('coalescing archive chunks', () => {
  it('joins small pieces up to the target size and keeps the bytes in order', async () => {
    expect((await sizesOf([512, 512, 100, 300, 512, 512, 10], 1000)).sizes).toEqual([1024, 1424, 10]);
  });

  it('passes a large chunk through without copying when nothing is pending', async () => {
    const { sizes, same } = await sizesOf([5000, 10, 5000], 1000);
    expect(sizes).toEqual([5000, 5010]);
    expect(same).toHaveLength(1);
  });

  it("passes a large object's later socket reads through, and still joins a run of small objects", async () => {
    const KiB = 1024;
    // A large object: a 1.5 KiB header, then 64 KiB reads. Then small objects: a 2 KiB header
    // and a 40 KiB body each.
    const large = [1.5 * KiB, ...Array.from({ length: 5 }, () => 64 * KiB)];
    const small = Array.from({ length: 4 }, () => [2 * KiB, 40 * KiB]).flat();
    const { sizes, same } = await sizesOf([...large, ...small], 128 * KiB);
    // The header and two reads are joined; the reads after them pass, the same buffers.
    expect(sizes.slice(0, 4)).toEqual([129.5 * KiB, 64 * KiB, 64 * KiB, 64 * KiB]);
    // Each small body comes after its header, so they are joined up to the target; only a body
    // that happens to follow a yield (here the last, as its header filled 128 KiB) passes alone.
    expect(sizes.slice(4)).toEqual([128 * KiB, 40 * KiB]);
    expect(same).toHaveLength(4);
  });

  it('passes the 32 KiB reads of a large body with a larger target', async () => {
    const { sizes, same } = await sizesOf([200_000, 32 * 1024, 32 * 1024 - 1], 128 * 1024);
    expect(sizes).toEqual([200_000, 32 * 1024, 32 * 1024 - 1]);
    expect(same).toHaveLength(2);
  });

  it('yields nothing for nothing', async () => {
    expect((await sizesOf([], 1000)).sizes).toEqual([]);
  });
});
