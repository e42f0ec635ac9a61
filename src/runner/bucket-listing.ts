// Lists a bucket (under a prefix) page by page, fetching the next page while the current one
// is being consumed. Keys come URL-encoded (encoding-type=url) and are decoded here: without
// it, a key holding a character XML 1.0 cannot carry (most control characters) would make
// the whole listing unparseable.
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

export interface ListedObject {
  key: string;
  size: number;
  /** Quotes included, as S3 returns it. */
  etag?: string;
  lastModified?: Date;
}

export interface ListOptions {
  bucket: string;
  prefix?: string;
  signal?: AbortSignal;
}

export async function* listObjects(client: S3Client, options: ListOptions): AsyncGenerator<ListedObject> {
  const requestPage = (continuationToken: string | undefined) =>
    client.send(
      new ListObjectsV2Command({
        Bucket: options.bucket,
        ...(options.prefix ? { Prefix: options.prefix } : {}),
        ...(continuationToken ? { ContinuationToken: continuationToken } : {}),
        EncodingType: 'url',
      }),
      options.signal ? { abortSignal: options.signal } : {},
    );
  let pending = requestPage(undefined);
  while (pending) {
    const page = await pending;
    const next = page.IsTruncated && page.NextContinuationToken ? requestPage(page.NextContinuationToken) : undefined;
    // Keep an early failure of the prefetched page from being reported as unhandled.
    next?.catch(() => undefined);
    const encoded = page.EncodingType === 'url';
    for (const entry of page.Contents ?? []) {
      if (entry.Key === undefined) continue;
      const listed: ListedObject = { key: encoded ? decodeListedKey(entry.Key) : entry.Key, size: entry.Size ?? 0 };
      if (entry.ETag !== undefined) listed.etag = entry.ETag;
      if (entry.LastModified !== undefined) listed.lastModified = entry.LastModified;
      yield listed;
    }
    if (!next) break;
    pending = next;
  }
}

/** S3's url encoding is form encoding: '+' stands for a space, a real '+' is %2B. */
export function decodeListedKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}
