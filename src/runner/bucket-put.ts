// Writes one restored object with its content type, stored headers and user metadata: a
// single PUT from memory for small objects, a streaming multipart upload for large ones.
// "Only if absent" makes the single PUT conditional (If-None-Match: *), so an object created
// in the target while the restore runs is not overwritten under the Skip and Fail policies.
// Multipart uploads are not conditional: the target listing made before the restore is what
// protects existing large objects.
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type { ArchivedObject } from '../archive/object-entry.ts';
import { isStorageError, storageFailure } from '../s3/errors.ts';
import { uploadStream } from '../s3/upload.ts';

export interface PutTarget {
  client: S3Client;
  bucket: string;
  endpoint?: string;
  signal: AbortSignal;
}

export type PutOutcome = 'written' | 'exists';

export interface PutOptions {
  /** Do not replace an existing object; answer 'exists' instead. */
  ifAbsent: boolean;
}

export async function putBufferedObject(
  target: PutTarget,
  key: string,
  object: ArchivedObject,
  body: Buffer,
  options: PutOptions,
): Promise<PutOutcome> {
  try {
    await target.client.send(
      new PutObjectCommand({
        ...objectParams(object),
        ...(object.contentType !== undefined ? { ContentType: object.contentType } : {}),
        Bucket: target.bucket,
        Key: key,
        Body: body,
        ContentLength: body.length,
        ...(options.ifAbsent ? { IfNoneMatch: '*' } : {}),
      }),
      { abortSignal: target.signal },
    );
    return 'written';
  } catch (error) {
    if (options.ifAbsent && isAlreadyThere(error)) return 'exists';
    throw storageFailure(error, where(target, key), 'writing');
  }
}

/** A multipart upload, so memory stays at a few parts whatever the object size. */
export async function putStreamedObject(
  target: PutTarget,
  key: string,
  object: ArchivedObject,
  body: Readable,
  tuning: { partSizeBytes: number; queueSize: number },
): Promise<PutOutcome> {
  try {
    await uploadStream(target.client, {
      bucket: target.bucket,
      key,
      body,
      ...(object.contentType !== undefined ? { contentType: object.contentType } : {}),
      objectParams: objectParams(object),
      partSizeBytes: tuning.partSizeBytes,
      queueSize: tuning.queueSize,
      signal: target.signal,
    });
    return 'written';
  } catch (error) {
    // The body may fail too (a corrupt archive): only S3's own failures are described as such.
    throw isStorageError(error) ? storageFailure(error, where(target, key), 'writing') : error;
  }
}

function objectParams(object: ArchivedObject) {
  const expires = object.expires !== undefined ? new Date(object.expires) : undefined;
  return {
    Metadata: object.metadata,
    ...(object.cacheControl !== undefined ? { CacheControl: object.cacheControl } : {}),
    ...(object.contentDisposition !== undefined ? { ContentDisposition: object.contentDisposition } : {}),
    ...(object.contentEncoding !== undefined ? { ContentEncoding: object.contentEncoding } : {}),
    ...(object.contentLanguage !== undefined ? { ContentLanguage: object.contentLanguage } : {}),
    ...(expires !== undefined && !Number.isNaN(expires.getTime()) ? { Expires: expires } : {}),
  };
}

function isAlreadyThere(error: unknown): boolean {
  const sdk = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  // 412: the object exists. 409: another conditional write to the same key is in progress.
  return sdk.name === 'PreconditionFailed' || sdk.$metadata?.httpStatusCode === 412 || sdk.name === 'ConditionalRequestConflict';
}

function where(target: PutTarget, key: string) {
  return { bucket: target.bucket, key, ...(target.endpoint ? { endpoint: target.endpoint } : {}) };
}
