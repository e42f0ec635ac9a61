// Reading objects: one streaming GET, or parallel ranged GETs delivered in order (for large
// artifacts, where one connection does not fill the pipe), or straight to a local file.
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export const DEFAULT_RANGE_BYTES = 8 * 1024 * 1024;
export const DEFAULT_RANGE_CONCURRENCY = 6;

export interface ObjectRef {
  bucket: string;
  key: string;
  signal?: AbortSignal;
}

export interface ObjectHead {
  sizeBytes: number;
  etag?: string;
}

export async function headObject(client: S3Client, ref: ObjectRef): Promise<ObjectHead> {
  const head = await client.send(
    new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }),
    ref.signal ? { abortSignal: ref.signal } : {},
  );
  return head.ETag ? { sizeBytes: head.ContentLength ?? 0, etag: head.ETag } : { sizeBytes: head.ContentLength ?? 0 };
}

export interface StreamedObject extends ObjectHead {
  body: Readable;
}

/** One GET; the body streams with backpressure. */
export async function getObjectStream(
  client: S3Client,
  ref: ObjectRef & { range?: { start: number; end: number }; ifMatch?: string },
): Promise<StreamedObject> {
  const response = await client.send(
    new GetObjectCommand({
      Bucket: ref.bucket,
      Key: ref.key,
      ...(ref.range ? { Range: `bytes=${ref.range.start}-${ref.range.end}` } : {}),
      ...(ref.ifMatch ? { IfMatch: ref.ifMatch } : {}),
    }),
    ref.signal ? { abortSignal: ref.signal } : {},
  );
  if (!(response.Body instanceof Readable)) throw new Error(`GET s3://${ref.bucket}/${ref.key} returned no stream`);
  const body = response.Body;
  const sizeBytes = response.ContentLength ?? 0;
  return response.ETag ? { body, sizeBytes, etag: response.ETag } : { body, sizeBytes };
}

export interface RangedReadOptions extends ObjectRef {
  /** Known from a HEAD or a manifest; read with a HEAD when absent. */
  head?: ObjectHead;
  rangeBytes?: number;
  concurrency?: number;
}

/**
 * The object's bytes, in order, fetched as parallel ranged GETs. At most `concurrency`
 * ranges are held in memory, so memory is bounded by concurrency x rangeBytes. Every range
 * is conditional on the ETag, so an object replaced mid-read fails instead of mixing.
 */
export function readObjectRanges(client: S3Client, options: RangedReadOptions): Readable {
  const rangeBytes = options.rangeBytes ?? DEFAULT_RANGE_BYTES;
  const concurrency = options.concurrency ?? DEFAULT_RANGE_CONCURRENCY;

  async function* ranges(): AsyncGenerator<Buffer> {
    const head = options.head ?? (await headObject(client, options));
    const count = Math.ceil(head.sizeBytes / rangeBytes);
    const inFlight: Promise<Buffer>[] = [];
    let next = 0;
    const launch = (): void => {
      const start = next * rangeBytes;
      const end = Math.min(start + rangeBytes, head.sizeBytes) - 1;
      const fetching = fetchRange(client, options, start, end, head.etag);
      fetching.catch(() => undefined); // awaited in order below; don't report it early
      inFlight.push(fetching);
      next += 1;
    };
    while (next < count && inFlight.length < concurrency) launch();
    while (inFlight.length > 0) {
      const buffer = await (inFlight.shift() as Promise<Buffer>);
      if (next < count) launch();
      yield buffer;
    }
  }
  return Readable.from(ranges(), { objectMode: false, highWaterMark: 1 });
}

async function fetchRange(
  client: S3Client,
  ref: ObjectRef,
  start: number,
  end: number,
  etag: string | undefined,
): Promise<Buffer> {
  const attempts = 3;
  for (let attempt = 1; ; attempt++) {
    try {
      const { body } = await getObjectStream(client, { ...ref, range: { start, end }, ...(etag ? { ifMatch: etag } : {}) });
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);
      const buffer = Buffer.concat(chunks);
      if (buffer.length !== end - start + 1) {
        throw new Error(`range ${start}-${end} of s3://${ref.bucket}/${ref.key} returned ${buffer.length} bytes`);
      }
      return buffer;
    } catch (error) {
      // A body cut off mid-stream is not retried by the SDK; retry the range here, but not
      // a precondition failure (the object changed) or a cancellation.
      const name = (error as { name?: string }).name;
      if (attempt >= attempts || ref.signal?.aborted || name === 'PreconditionFailed' || name === 'NoSuchKey') throw error;
    }
  }
}

/** Downloads an object to a local file with parallel ranges; returns its size and SHA-256. */
export async function downloadToFile(
  client: S3Client,
  options: RangedReadOptions & { path: string; onBytes?: (count: number) => void },
): Promise<{ sizeBytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  const source = readObjectRanges(client, options);
  source.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    sizeBytes += chunk.length;
    options.onBytes?.(chunk.length);
  });
  await pipeline(source, createWriteStream(options.path), options.signal ? { signal: options.signal } : {});
  return { sizeBytes, sha256: hash.digest('hex') };
}
