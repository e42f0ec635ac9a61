// writeArtifact against a stand-in S3 client that keeps the parts: what it stores decodes back
// to the source (every compression, with and without age), the size and SHA-256 it reports are
// those of the stored bytes, and a source that fails or a stop request never completes the
// object.
import { describe, expect, it } from '@jest/globals';
import type { S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Compression } from '../contract/compression.ts';
import { ageRecipientFromIdentity, generateAgeIdentity } from '../crypto/age-stream.ts';
import { verifyAndDecode } from './artifact-reader.ts';
import { writeArtifact } from './artifact-writer.ts';

const MiB = 1024 * 1024;

function fakeS3(onCommand: (name: string) => void = () => undefined) {
  const commands: string[] = [];
  const parts = new Map<number, Buffer>();
  const client = {
    async send(command: { constructor: { name: string }; input: { PartNumber?: number; Body?: Buffer } }) {
      const name = command.constructor.name;
      commands.push(name);
      onCommand(name);
      // Copied now: the uploader reuses its part buffers.
      if (name === 'UploadPartCommand') parts.set(command.input.PartNumber as number, Buffer.from(command.input.Body as Buffer));
      if (name === 'PutObjectCommand') parts.set(1, Buffer.from(command.input.Body as Buffer));
      await new Promise((resolve) => setImmediate(resolve));
      return name === 'CreateMultipartUploadCommand' ? { UploadId: 'upload-1' } : { ETag: '"e"' };
    },
  };
  const stored = () => Buffer.concat([...parts.keys()].sort((a, b) => a - b).map((n) => parts.get(n) as Buffer));
  return { client: client as unknown as S3Client, commands, stored };
}

/** Random bytes (stored, not compressed, by zstd) then text (compressed), in uneven chunks. */
function sourceData(): Buffer {
  return Buffer.concat([randomBytes(9 * MiB + 5), Buffer.alloc(3 * MiB, 'lifeboat '), randomBytes(1000)]);
}

function chunked(data: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0, i = 0; offset < data.length; i++) {
    const size = 1000 + ((i * 7919) % 200_000);
    chunks.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return Readable.from(chunks);
}

async function decode(stored: Buffer, compression: Compression, sha256: string, identities?: string[]): Promise<Buffer> {
  const artifact = { sizeBytes: stored.length, sha256, compression, encryption: identities ? { format: 'age' as const, recipients: [] } : null };
  const out: Buffer[] = [];
  for await (const chunk of verifyAndDecode(Readable.from([stored]), { what: 'artifact', artifact, ...(identities ? { identities } : {}) })) out.push(chunk as Buffer);
  return Buffer.concat(out);
}

describe('writeArtifact', () => {
  it.each([
    ['zstd', false],
    ['zstd', true],
    ['gzip', false],
    ['none', false],
    ['none', true],
  ] as const)('stores a %s artifact (encrypted: %s) whose size and SHA-256 it reports and which decodes to the source', async (compression, encrypted) => {
    const identity = await generateAgeIdentity();
    const s3 = fakeS3();
    const data = sourceData();
    let counted = 0;
    const written = await writeArtifact(s3.client, {
      bucket: 'b',
      key: 'k',
      source: chunked(data),
      compression,
      ...(encrypted ? { encryption: { recipients: [await ageRecipientFromIdentity(identity)] } } : {}),
      partSizeBytes: 5 * MiB,
      onSourceBytes: (count) => (counted += count),
    });
    const stored = s3.stored();
    expect(s3.commands.at(-1)).toBe('CompleteMultipartUploadCommand');
    expect(written).toEqual({
      key: 'k',
      sizeBytes: stored.length,
      sha256: createHash('sha256').update(stored).digest('hex'),
      sourceBytes: data.length,
      compression,
      encrypted,
    });
    expect(counted).toBe(data.length);
    expect((await decode(stored, compression, written.sha256, encrypted ? [identity] : undefined)).equals(data)).toBe(true);
  });

  it('passes a source that is already compressed through as it is', async () => {
    const s3 = fakeS3();
    const data = randomBytes(1234);
    const written = await writeArtifact(s3.client, { bucket: 'b', key: 'k', source: Readable.from([data]), compression: 'zstd', sourceCompressed: true });
    expect(s3.commands).toEqual(['PutObjectCommand']);
    expect(s3.stored().equals(data)).toBe(true);
    expect(written).toMatchObject({ sizeBytes: 1234, sourceBytes: null, encrypted: false });
  });

  it('aborts the upload and rejects with the failure of a source that fails after some parts', async () => {
    const source = new Readable({ read() {} });
    source.push(randomBytes(12 * MiB));
    const s3 = fakeS3((name) => {
      if (name === 'UploadPartCommand') source.destroy(new Error('pg_dump exited with code 1'));
    });
    await expect(writeArtifact(s3.client, { bucket: 'b', key: 'k', source, compression: 'zstd', partSizeBytes: 5 * MiB })).rejects.toThrow('pg_dump exited with code 1');
    expect(s3.commands).toContain('UploadPartCommand');
    expect(s3.commands.at(-1)).toBe('AbortMultipartUploadCommand');
    expect(s3.commands).not.toContain('CompleteMultipartUploadCommand');
  });

  it('stops on the signal while the source is silent: the upload is aborted and the source destroyed', async () => {
    const source = new Readable({ read() {} });
    source.push(randomBytes(6 * MiB));
    const controller = new AbortController();
    // The first part is on its way, the rest of the source has been read: nothing more comes.
    const s3 = fakeS3((name) => {
      if (name === 'UploadPartCommand') setImmediate(() => controller.abort(new Error('received SIGTERM')));
    });
    await expect(
      writeArtifact(s3.client, { bucket: 'b', key: 'k', source, compression: 'none', partSizeBytes: 5 * MiB, signal: controller.signal }),
    ).rejects.toThrow('received SIGTERM');
    expect(s3.commands.at(-1)).toBe('AbortMultipartUploadCommand');
    expect(source.destroyed).toBe(true);
  });
});
