import { describe, expect, it } from '@jest/globals';
import { ByteQueue } from './byte-queue.ts';

describe('ByteQueue', () => {
  const queued = (...chunks: string[]) => {
    const queue = new ByteQueue();
    for (const chunk of chunks) queue.push(Buffer.from(chunk));
    return queue;
  };

  it('takes exact pieces, joining chunks only when one piece spans them', () => {
    const queue = queued('abc', 'defgh', 'ij');
    expect(queue.take(2).toString()).toBe('ab');
    expect(queue.take(4).toString()).toBe('cdef');
    expect(queue.length).toBe(4);
    expect(queue.takeAll().toString()).toBe('ghij');
    expect(queue.length).toBe(0);
  });

  it('hands out a span as views of the queued chunks, in order, without copying', () => {
    // Buffer.alloc is never pooled: each has an ArrayBuffer of its own.
    const first = Buffer.alloc(3, 'abc');
    const second = Buffer.alloc(5, 'defgh');
    const queue = new ByteQueue();
    queue.push(first);
    queue.push(second);
    queue.push(Buffer.from('ij'));
    const pieces = queue.takePieces(5);
    expect(pieces.map((piece) => piece.toString())).toEqual(['abc', 'de']);
    expect(pieces[0]?.buffer).toBe(first.buffer);
    expect(pieces[1]?.buffer).toBe(second.buffer);
    expect(queue.takePieces(5).map((piece) => piece.toString())).toEqual(['fgh', 'ij']);
    expect(queue.takePieces(0)).toEqual([]);
    expect(() => queue.takePieces(1)).toThrow(RangeError);
  });
});
