// One large object as parallel ranged GETs on the lean object reader, its bytes delivered in
// order so one SHA-256 can run over them as they come. The range at the head is passed on chunk
// by chunk as it arrives; only the ranges behind it are held, so memory stays within
// concurrency x rangeBytes and nothing is copied into one buffer per range. A range cut off
// mid-body is asked again for the bytes still missing, not from its start.
import type { GetObject } from './object-reader.ts';

export const RANGE_BYTES = 8 * 1024 * 1024;
export const RANGE_CONCURRENCY = 4;

export interface RangedObject {
  bucket: string;
  key: string;
  /** From a HEAD: every range is read against it. */
  sizeBytes: number;
  /** Every range is conditional on it, so an object replaced mid-read fails instead of mixing. */
  etag?: string;
  rangeBytes?: number;
  concurrency?: number;
  /** Attempts per range, counting the resumptions of a body cut off. */
  attempts?: number;
  signal?: AbortSignal;
}

export async function* readRangesInOrder(get: GetObject, object: RangedObject): AsyncGenerator<Buffer> {
  const rangeBytes = object.rangeBytes ?? RANGE_BYTES;
  const concurrency = Math.max(1, object.concurrency ?? RANGE_CONCURRENCY);
  const count = Math.ceil(object.sizeBytes / rangeBytes);
  // Ranges still running when the reader stops (done, failed, or gone) are cancelled.
  const stop = new AbortController();
  const signal = object.signal ? AbortSignal.any([object.signal, stop.signal]) : stop.signal;
  const inFlight: RangeFetch[] = [];
  let next = 0;
  const launch = (): void => {
    const start = next * rangeBytes;
    const end = Math.min(start + rangeBytes, object.sizeBytes) - 1;
    inFlight.push(new RangeFetch(get, { ...object, start, end, signal, attempts: object.attempts ?? 3 }));
    next += 1;
  };
  try {
    while (next < count && inFlight.length < concurrency) launch();
    for (let head = inFlight.shift(); head; head = inFlight.shift()) {
      yield* head.chunks();
      if (next < count) launch();
    }
  } finally {
    stop.abort(new Error('ranged read stopped'));
  }
}

interface RangeRequest {
  bucket: string;
  key: string;
  etag?: string;
  start: number;
  end: number;
  signal: AbortSignal;
  attempts: number;
}

/** One range being fetched: its chunks queue until the reader takes them, in order. */
class RangeFetch {
  private readonly queue: Buffer[] = [];
  private received = 0;
  private done = false;
  private error: unknown;
  private wake: (() => void) | undefined;

  private readonly get: GetObject;
  private readonly range: RangeRequest;

  constructor(get: GetObject, range: RangeRequest) {
    this.get = get;
    this.range = range;
    void this.fetch();
  }

  private async fetch(): Promise<void> {
    const { start, end, signal } = this.range;
    const length = end - start + 1;
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await this.get({
          bucket: this.range.bucket,
          key: this.range.key,
          range: { start: start + this.received, end },
          ...(this.range.etag ? { ifMatch: this.range.etag } : {}),
          signal,
        });
        for await (const chunk of response.body) {
          this.received += chunk.length;
          // A server that ignores Range sends the whole object: never pass that on.
          if (this.received > length) throw new OversizedRange(`range ${start}-${end} of s3://${this.range.bucket}/${this.range.key} returned more than ${length} bytes`);
          this.queue.push(chunk);
          this.notify();
        }
        if (this.received < length) throw new Error(`range ${start}-${end} of s3://${this.range.bucket}/${this.range.key} ended after ${this.received} of ${length} bytes`);
        this.done = true;
        this.notify();
        return;
      } catch (error) {
        // The object reader retries what fails before a body starts; here a body cut off is
        // resumed, but not a changed object (PreconditionFailed), a missing one, or a cancel.
        const name = (error as { name?: string }).name;
        if (attempt >= this.range.attempts || signal.aborted || error instanceof OversizedRange || name === 'PreconditionFailed' || name === 'NoSuchKey') {
          this.error = error;
          this.notify();
          return;
        }
      }
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async *chunks(): AsyncGenerator<Buffer> {
    for (;;) {
      const chunk = this.queue.shift();
      if (chunk) {
        yield chunk;
        continue;
      }
      if (this.error !== undefined) throw this.error;
      if (this.done) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

class OversizedRange extends Error {}
