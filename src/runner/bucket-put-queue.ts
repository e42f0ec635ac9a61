// Runs object writes in parallel, bounded both in count and in the bytes they hold, so a
// restore keeps many small PUTs in flight without letting memory grow. The first failure
// stops new work: it is thrown by the next run() or by drain().
export class BoundedPutQueue {
  private readonly limit: number;
  private readonly maxBytes: number;
  private readonly running = new Set<Promise<void>>();
  private heldBytes = 0;
  private failed: { error: unknown } | undefined;

  constructor(limit: number, maxBytes: number) {
    this.limit = limit;
    this.maxBytes = maxBytes;
  }

  /** Waits for room, then starts the write (without waiting for it to finish). */
  async run(bytes: number, write: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit || (this.running.size > 0 && this.heldBytes + bytes > this.maxBytes)) {
      await Promise.race(this.running);
      this.throwIfFailed();
    }
    this.throwIfFailed();
    this.heldBytes += bytes;
    const running: Promise<void> = write()
      .catch((error: unknown) => {
        this.failed ??= { error };
      })
      .finally(() => {
        this.running.delete(running);
        this.heldBytes -= bytes;
      });
    this.running.add(running);
  }

  /** Waits for every started write; throws the first failure. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.race(this.running);
    this.throwIfFailed();
  }

  /** Waits for started writes without reporting their failures (on the way out of an error). */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.race(this.running);
  }

  private throwIfFailed(): void {
    if (this.failed) throw this.failed.error;
  }
}
