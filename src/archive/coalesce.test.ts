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

  it('yields nothing for nothing', async () => {
    expect((await sizesOf([], 1000)).sizes).toEqual([]);
  });
});
