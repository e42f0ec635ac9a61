// Fetches listed objects with bounded parallelism and hands them out strictly in listing
// order, for the single tar stream. Every object is cut into parts: one GET for an object up
// to `rangeBytes`, parallel ranged GETs for a larger one, so a 300 MB object is fetched as
// fast as many small ones. Parts are fetched ahead of the consumer into a window bounded
// both in count (`concurrency`) and in bytes (`readAheadBytes`): memory stays flat whatever
// the object sizes, and a large object is never held whole.
//
// Every GET carries If-Match with the listed ETag, so an object replaced during the backup
// fails the backup (its parts would otherwise mix two versions) instead of being archived
// inconsistently. An object deleted since the listing is skipped: it no longer exists.
import type { ArchivedObject } from '../archive/object-entry.ts';
import { RunnerError } from '../failures/runner-error.ts';
import { storageFailure } from '../s3/errors.ts';
import type { GetObject, GetObjectResponse } from '../s3/object-reader.ts';
import type { ListedObject } from './bucket-listing.ts';

export interface FetchOptions {
  bucket: string;
  endpoint?: string;
  /** Most GETs in flight (and parts held) at once. */
  concurrency: number;
  /** Most bytes fetched ahead of the consumer. */
  readAheadBytes: number;
  /** Objects above this are fetched as ranges of this size. */
  rangeBytes: number;
  signal?: AbortSignal;
  /** Told about objects that disappeared between the listing and their GET. */
  onVanished?: (listed: ListedObject) => void;
}

export interface FetchedObject {
  object: ArchivedObject;
  /** The object's bytes in order; read it fully before asking for the next object. An object
   *  fetched in one GET (every small one) comes whole, as the chunks that arrived. */
  body: AsyncIterable<Buffer> | Buffer[];
}

interface PartPlan {
  listed: ListedObject;
  index: number;
  count: number;
  start: number;
  /** Exclusive. */
  end: number;
}

type PartResult = { chunks: Buffer[]; response: GetObjectResponse } | { vanished: true };

interface LaunchedPart {
  plan: PartPlan;
  result: Promise<PartResult>;
}

const PART_ATTEMPTS = 3;

export function fetchInOrder(getObject: GetObject, listing: AsyncIterable<ListedObject>, options: FetchOptions): AsyncGenerator<FetchedObject> {
  return new OrderedFetcher(getObject, listing, options).objects();
}

class OrderedFetcher {
  private readonly getObject: GetObject;
  private readonly options: FetchOptions;
  private readonly listing: AsyncIterator<ListedObject>;
  private readonly stop = new AbortController();
  private readonly signal: AbortSignal;
  private readonly window: LaunchedPart[] = [];
  private readonly planned: PartPlan[] = [];
  private reservedBytes = 0;
  private listingDone = false;

  constructor(getObject: GetObject, listing: AsyncIterable<ListedObject>, options: FetchOptions) {
    this.getObject = getObject;
    this.options = options;
    this.listing = listing[Symbol.asyncIterator]();
    this.signal = options.signal ? AbortSignal.any([options.signal, this.stop.signal]) : this.stop.signal;
  }

  async *objects(): AsyncGenerator<FetchedObject> {
    try {
      for (;;) {
        await this.fill();
        const first = this.window.shift();
        if (first === undefined) return;
        const result = await this.settle(first);
        if ('vanished' in result) {
          this.dropRemainingParts(first.plan.listed);
          this.options.onVanished?.(first.plan.listed);
          continue;
        }
        const object = describeObject(first.plan.listed, result.response);
        if (first.plan.count === 1) {
          yield { object, body: result.chunks };
          continue;
        }
        let consumed = false;
        const body = async function* (this: OrderedFetcher): AsyncGenerator<Buffer> {
          yield* result.chunks;
          for (let index = 1; index < first.plan.count; index++) {
            await this.fill();
            const part = this.window.shift() as LaunchedPart;
            if (part.plan.listed !== first.plan.listed || part.plan.index !== index) {
              throw new Error('internal error: object parts out of order');
            }
            const next = await this.settle(part);
            if ('vanished' in next) throw this.changedError(first.plan.listed);
            yield* next.chunks;
          }
          consumed = true;
        }.call(this);
        yield { object, body };
        if (!consumed) throw new Error('internal error: the consumer moved on before reading an object body');
      }
    } finally {
      this.stop.abort(new Error('fetching stopped'));
      for (const part of this.window.splice(0)) part.result.catch(() => undefined);
      await this.listing.return?.();
    }
  }

  /** Launches parts until the window is full in count or bytes (always at least one). */
  private async fill(): Promise<void> {
    while (this.window.length < this.options.concurrency) {
      const plan = await this.nextPlan();
      if (plan === undefined) return;
      const bytes = plan.end - plan.start;
      if (this.window.length > 0 && this.reservedBytes + bytes > this.options.readAheadBytes) {
        this.planned.unshift(plan);
        return;
      }
      this.reservedBytes += bytes;
      const result = this.fetchPart(plan);
      result.catch(() => undefined); // awaited in order by settle(); not unhandled meanwhile
      this.window.push({ plan, result });
    }
  }

  private async settle(part: LaunchedPart): Promise<PartResult> {
    try {
      return await part.result;
    } finally {
      this.reservedBytes -= part.plan.end - part.plan.start;
    }
  }

  private async nextPlan(): Promise<PartPlan | undefined> {
    const queued = this.planned.shift();
    if (queued !== undefined || this.listingDone) return queued;
    const next = await this.listing.next().catch((error: unknown) => {
      throw storageFailure(error, this.where(), 'listing');
    });
    if (next.done) {
      this.listingDone = true;
      return undefined;
    }
    const listed = next.value;
    const { rangeBytes } = this.options;
    const count = Math.max(1, Math.ceil(listed.size / rangeBytes));
    for (let index = 0; index < count; index++) {
      this.planned.push({ listed, index, count, start: index * rangeBytes, end: Math.min(listed.size, (index + 1) * rangeBytes) });
    }
    return this.planned.shift();
  }

  private dropRemainingParts(listed: ListedObject): void {
    while (this.window[0]?.plan.listed === listed) {
      const part = this.window.shift() as LaunchedPart;
      this.reservedBytes -= part.plan.end - part.plan.start;
    }
    while (this.planned[0]?.listed === listed) this.planned.shift();
  }

  private async fetchPart(plan: PartPlan): Promise<PartResult> {
    const { listed } = plan;
    const ranged = plan.count > 1;
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await this.getObject({
          bucket: this.options.bucket,
          key: listed.key,
          ...(listed.etag ? { ifMatch: listed.etag } : {}),
          ...(ranged ? { range: { start: plan.start, end: plan.end - 1 } } : {}),
          // A part is held whole until the archive takes it: read it into one buffer.
          whole: true,
          signal: this.signal,
        });
        const chunks: Buffer[] = [];
        let bytes = 0;
        for await (const chunk of response.body) {
          chunks.push(chunk);
          bytes += chunk.length;
        }
        if (bytes !== plan.end - plan.start) {
          throw new RunnerError(
            'SourceChanged',
            `object ${JSON.stringify(listed.key)} in bucket ${this.options.bucket} returned ${bytes} bytes for bytes ${plan.start}-${plan.end} (listed size ${listed.size}); it changed during the backup, run it again`,
          );
        }
        return { chunks, response };
      } catch (error) {
        if (this.signal.aborted) throw this.signal.reason;
        if (error instanceof RunnerError) throw error;
        const name = (error as { name?: string }).name;
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (name === 'NoSuchKey' || status === 404) {
          if (plan.index === 0) return { vanished: true };
          throw this.changedError(listed);
        }
        if (name === 'PreconditionFailed' || status === 412) throw this.changedError(listed);
        // The reader retries a request that failed before its body; a body cut off mid-stream
        // is retried here.
        if (attempt >= PART_ATTEMPTS) throw storageFailure(error, this.where(listed.key), 'reading');
      }
    }
  }

  private changedError(listed: ListedObject): RunnerError {
    return new RunnerError(
      'SourceChanged',
      `object ${JSON.stringify(listed.key)} in bucket ${this.options.bucket} changed during the backup (its ETag no longer matches the listing); run the backup again`,
    );
  }

  private where(key?: string) {
    return {
      bucket: this.options.bucket,
      ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
      ...(key !== undefined ? { key } : {}),
    };
  }
}

function describeObject(listed: ListedObject, response: GetObjectResponse): ArchivedObject {
  const object: ArchivedObject = { key: listed.key, size: listed.size, metadata: { ...response.metadata } };
  const etag = response.etag ?? listed.etag;
  if (etag !== undefined) object.etag = etag;
  const lastModified = response.lastModified ?? listed.lastModified;
  if (lastModified !== undefined) object.lastModified = lastModified;
  if (response.contentType !== undefined) object.contentType = response.contentType;
  if (response.cacheControl !== undefined) object.cacheControl = response.cacheControl;
  if (response.contentDisposition !== undefined) object.contentDisposition = response.contentDisposition;
  if (response.contentEncoding !== undefined) object.contentEncoding = response.contentEncoding;
  if (response.contentLanguage !== undefined) object.contentLanguage = response.contentLanguage;
  if (response.expires !== undefined) object.expires = response.expires;
  return object;
}
