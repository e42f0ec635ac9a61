// Shared by the bucket backup/restore integration tests (the runner itself is run by
// runner-harness.ts): an admin S3 client for the test environment's server, seeding objects
// (large bodies generated as streams) and reading a bucket back as comparable facts.
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { listObjects } from '../../../src/runner/bucket-listing.ts';
import { testEnv, type S3ServerInfo } from '../../support/env.ts';

/** The S3 server a test talks to: MinIO unless it asks for another. */
export function s3Info(): S3ServerInfo {
  return testEnv().s3;
}

export function adminClient(s3: S3ServerInfo = s3Info()): S3Client {
  return new S3Client({
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

/** A bucket name unique to this run (3-63 lowercase characters). */
export function uniqueBucket(purpose: string): string {
  return `${purpose}-${randomBytes(4).toString('hex')}`.toLowerCase().slice(0, 63);
}

export async function createBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
}

export function storageFor(bucket: string, prefix = 'backups', s3: S3ServerInfo = s3Info()) {
  return { endpoint: s3.endpoint, region: s3.region, bucket, prefix };
}

export function locationFor(run: string, source = 'files') {
  return { namespace: 'it', schedule: 'bucket-tests', run, source };
}

/** Deterministic pseudo-random bytes (AES-CTR keystream), generated as a stream of `size` bytes. */
export function generatedBody(size: number, seed: string): Readable {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const block = Buffer.alloc(1024 * 1024);
  let left = size;
  return new Readable({
    read() {
      if (left === 0) {
        this.push(null);
        return;
      }
      const n = Math.min(left, block.length);
      left -= n;
      this.push(cipher.update(block.subarray(0, n)));
    },
  });
}

export interface SeedObject {
  key: string;
  body: Buffer | { size: number; seed: string };
  metadata?: Record<string, string>;
  contentType?: string;
  cacheControl?: string;
  contentDisposition?: string;
}

/**
 * Puts the objects; returns the keys the server refused (MinIO rejects `..` and `.` segments,
 * empty segments and segments over 255 bytes, which AWS S3 accepts).
 */
export async function seedObjects(client: S3Client, bucket: string, objects: SeedObject[]): Promise<string[]> {
  const refused: string[] = [];
  for (const object of objects) {
    const headers = {
      ...(object.metadata ? { Metadata: object.metadata } : {}),
      ...(object.contentType ? { ContentType: object.contentType } : {}),
      ...(object.cacheControl ? { CacheControl: object.cacheControl } : {}),
      ...(object.contentDisposition ? { ContentDisposition: object.contentDisposition } : {}),
    };
    try {
      if (Buffer.isBuffer(object.body)) {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: object.key, Body: object.body, ...headers }));
      } else {
        const upload = new Upload({
          client,
          params: { Bucket: bucket, Key: object.key, Body: generatedBody(object.body.size, object.body.seed), ...headers },
          partSize: 16 * 1024 * 1024,
          queueSize: 2,
        });
        await upload.done();
      }
    } catch (error) {
      if (/^XMinioInvalid/.test((error as Error).name)) refused.push(object.key);
      else throw error;
    }
  }
  return refused;
}

export interface ObjectFacts {
  size: number;
  sha256: string;
  contentType?: string;
  cacheControl?: string;
  contentDisposition?: string;
  metadata: Record<string, string>;
}

/** What a GET of each key returns: size, SHA-256 of the body (streamed), headers, metadata. */
export async function objectFacts(client: S3Client, bucket: string, keys: Iterable<string>): Promise<Map<string, ObjectFacts>> {
  const facts = new Map<string, ObjectFacts>();
  for (const key of keys) {
    const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of response.Body as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
    }
    facts.set(key, {
      size,
      sha256: hash.digest('hex'),
      metadata: response.Metadata ?? {},
      ...(response.ContentType ? { contentType: response.ContentType } : {}),
      ...(response.CacheControl ? { cacheControl: response.CacheControl } : {}),
      ...(response.ContentDisposition ? { contentDisposition: response.ContentDisposition } : {}),
    });
  }
  return facts;
}

export async function listedKeys(client: S3Client, bucket: string, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of listObjects(client, { bucket, prefix })) keys.push(object.key);
  return keys;
}

export async function exists(client: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}

export async function download(client: S3Client, bucket: string, key: string, path: string): Promise<void> {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  writeFileSync(path, Buffer.from(await (response.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()));
}

/** Flips one bit of a stored object in place (re-uploads it). */
export async function flipStoredByte(client: S3Client, bucket: string, key: string, offset: number): Promise<void> {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = Buffer.from(await (response.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
  const at = offset < 0 ? body.length + offset : offset;
  body.writeUInt8(body.readUInt8(at) ^ 0x01, at);
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

/**
 * Puts `count` objects of 4-16 KiB of random bytes under `prefix`, 32 at a time; returns their
 * total size.
 */
export async function putSmallObjects(client: S3Client, bucket: string, prefix: string, count: number): Promise<number> {
  const pool = randomBytes(16 * 1024);
  let next = 0;
  let bytes = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const size = 4096 + ((i * 7919) % (12 * 1024));
      bytes += size;
      const body = pool.subarray(0, size);
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${String(i).padStart(6, '0')}`, Body: body }));
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  return bytes;
}
