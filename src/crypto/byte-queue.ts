// A FIFO of byte chunks that hands out exact-size pieces. Stream transforms receive chunks of
// whatever size the source produced; ciphers and the tar codec need fixed-size blocks.
// Pieces are views into the queued chunks whenever one chunk covers them, so the common case
// (large incoming chunks) copies nothing.
export class ByteQueue {
  private chunks: Buffer[] = [];
  private head = 0;
  private total = 0;

  get length(): number {
    return this.total;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  /** Removes and returns the first n bytes; n must not exceed length. */
  take(n: number): Buffer {
    if (n > this.total) throw new RangeError(`ByteQueue.take(${n}) with only ${this.total} bytes queued`);
    this.total -= n;
    const first = this.chunks[this.head];
    if (n === 0 || first === undefined) return Buffer.alloc(0);
    if (first.length >= n) {
      this.consumeFromHead(first, n);
      return first.subarray(0, n);
    }
    const piece = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[this.head] as Buffer;
      const used = Math.min(chunk.length, n - filled);
      chunk.copy(piece, filled, 0, used);
      filled += used;
      this.consumeFromHead(chunk, used);
    }
    return piece;
  }

  /** Removes the first n bytes (n must not exceed length) as views of the queued chunks, in
   *  order: for a consumer that takes its input in pieces (a cipher), so nothing is copied. */
  takePieces(n: number): Buffer[] {
    if (n > this.total) throw new RangeError(`ByteQueue.takePieces(${n}) with only ${this.total} bytes queued`);
    this.total -= n;
    const pieces: Buffer[] = [];
    for (let left = n; left > 0; ) {
      const chunk = this.chunks[this.head] as Buffer;
      const used = Math.min(chunk.length, left);
      pieces.push(used === chunk.length ? chunk : chunk.subarray(0, used));
      this.consumeFromHead(chunk, used);
      left -= used;
    }
    return pieces;
  }

  /** Removes and returns up to max bytes, never more than the first queued chunk holds (no copy). */
  takeHead(max: number): Buffer {
    const first = this.chunks[this.head];
    if (first === undefined || max <= 0) return Buffer.alloc(0);
    return this.take(Math.min(max, first.length));
  }

  /** Removes and returns everything queued. */
  takeAll(): Buffer {
    return this.take(this.total);
  }

  private consumeFromHead(chunk: Buffer, used: number): void {
    if (used === chunk.length) {
      this.chunks[this.head] = undefined as unknown as Buffer;
      this.head += 1;
      // Compact now and then so the array does not grow without bound on long streams.
      if (this.head > 1024) {
        this.chunks = this.chunks.slice(this.head);
        this.head = 0;
      }
    } else {
      this.chunks[this.head] = chunk.subarray(used);
    }
  }
}
