import { describe, expect, it } from '@jest/globals';
import { randomBytes, createHash } from 'node:crypto';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { testEnv } from '../../support/env.ts';

describe('the S3 server', () => {
  it('stores an object and gives back the same bytes and metadata', async () => {
    const { s3 } = testEnv();
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    const bucket = `env-smoke-${Date.now()}`;
    const body = randomBytes(1024 * 1024 + 7);
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'dir/ünïcode key.bin', Body: body, Metadata: { origin: 'env-test' } }),
    );
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'dir/ünïcode key.bin' }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'dir/ünïcode key.bin' }));
    expect(head.Metadata).toEqual({ origin: 'env-test' });
    await expect(client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'missing' }))).rejects.toThrow();
    client.destroy();
  });
});
