// uploadStream against a stand-in S3 client that records every command: a single PUT for a
// body that fits in a part, parts of the right sizes in the right order otherwise, bounded
// parallelism, and an aborted multipart upload on failure.
import { describe, expect, it } from '@jest/globals';
import type { S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { uploadStream } from './upload.ts';

const MiB = 1024 * 1024;

interface Sent {
  command: string;
  input: Record<string, unknown>;
}

function fakeS3(options: { failPart?: number } = {}) {
  const sent: Sent[] = [];
  const stored = new Map<number, Buffer>();
  let inFlight = 0;
  let maxInFlight = 0;
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name;
      sent.push({ command: name, input: command.input });
      if (name === 'CreateMultipartUploadCommand') return { UploadId: 'upload-1' };
      if (name === 'UploadPartCommand') {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const partNumber = command.input.PartNumber as number;
        // Copy now: the uploader reuses the buffer once the part has been sent.
        const body = Buffer.from(command.input.Body as Buffer);
        for (let turns = (partNumber * 3) % 4; turns >= 0; turns--) await nextTurn();
        inFlight -= 1;
        if (partNumber === options.failPart) throw Object.assign(new Error('boom'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } });
        stored.set(partNumber, body);
        return { ETag: `"part-${partNumber}"` };
      }
      if (name === 'PutObjectCommand') {
        stored.set(1, Buffer.from(command.input.Body as Buffer));
        return { ETag: '"single"' };
      }
      return { ETag: '"complete"' };
    },
  };
  const reassembled = () => Buffer.concat([...stored.keys()].sort((a, b) => a - b).map((n) => stored.get(n) as Buffer));
  return { client: client as unknown as S3Client, sent, reassembled, maxInFlight: () => maxInFlight };
}

/** The data in uneven chunks, as a pipe would deliver it. */
function chunked(data: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0, i = 0; offset < data.length; i++) {
    const size = 1000 + ((i * 7919) % 300_000);
    chunks.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return Readable.from(chunks);
}

describe('uploadStream', () => {
  it('sends a body that fits in one part as a single PUT, an empty one included', async () => {
    for (const size of [0, 1234, 5 * MiB]) {
      const s3 = fakeS3();
      const data = randomBytes(size);
      const result = await uploadStream(s3.client, { bucket: 'b', key: 'k', body: chunked(data), partSizeBytes: 5 * MiB, contentType: 'text/plain' });
      expect(s3.sent.map((s) => s.command)).toEqual(['PutObjectCommand']);
      expect(s3.sent[0]?.input).toMatchObject({ Bucket: 'b', Key: 'k', ContentLength: size, ContentType: 'text/plain' });
      expect(result).toEqual({ etag: '"single"', sizeBytes: size });
      expect(s3.reassembled().equals(data)).toBe(true);
    }
  });

  it('uploads a larger body in parts of the part size, at most queueSize + 1 at once, and completes them in order', async () => {
    const s3 = fakeS3();
    const data = randomBytes(Math.round(22.5 * MiB));
    let reported = 0;
    const result = await uploadStream(s3.client, {
      bucket: 'b',
      key: 'k',
      body: chunked(data),
      partSizeBytes: 5 * MiB,
      queueSize: 2,
      objectParams: { Metadata: { owner: 'team' } },
      onBytes: (total) => (reported = total),
    });
    const commands = s3.sent.map((s) => s.command);
    expect(commands[0]).toBe('CreateMultipartUploadCommand');
    expect(s3.sent[0]?.input).toMatchObject({ Metadata: { owner: 'team' } });
    expect(commands.filter((c) => c === 'UploadPartCommand')).toHaveLength(5);
    expect(s3.sent.filter((s) => s.command === 'UploadPartCommand').map((s) => s.input.ContentLength)).toEqual([5 * MiB, 5 * MiB, 5 * MiB, 5 * MiB, data.length - 20 * MiB]);
    expect(commands.at(-1)).toBe('CompleteMultipartUploadCommand');
    const completed = s3.sent.at(-1)?.input.MultipartUpload as { Parts: { PartNumber: number; ETag: string }[] };
    expect(completed.Parts.map((p) => p.PartNumber)).toEqual([1, 2, 3, 4, 5]);
    expect(s3.maxInFlight()).toBeGreaterThan(1);
    expect(s3.maxInFlight()).toBeLessThanOrEqual(3);
    expect(s3.reassembled().equals(data)).toBe(true);
    expect(result).toEqual({ etag: '"complete"', sizeBytes: data.length });
    expect(reported).toBe(data.length);
  });

  it('aborts the multipart upload when a part fails, and rejects with that failure', async () => {
    const s3 = fakeS3({ failPart: 2 });
    await expect(uploadStream(s3.client, { bucket: 'b', key: 'k', body: chunked(randomBytes(16 * MiB)), partSizeBytes: 5 * MiB })).rejects.toMatchObject({ name: 'InternalError' });
    const commands = s3.sent.map((s) => s.command);
    expect(commands.at(-1)).toBe('AbortMultipartUploadCommand');
    expect(commands).not.toContain('CompleteMultipartUploadCommand');
  });

  it('aborts the multipart upload when the body fails', async () => {
    const s3 = fakeS3();
    const body = new Readable({ read() {} });
    body.push(randomBytes(6 * MiB));
    setTimeout(() => body.destroy(new Error('pg_dump died')), 20);
    await expect(uploadStream(s3.client, { bucket: 'b', key: 'k', body, partSizeBytes: 5 * MiB })).rejects.toThrow('pg_dump died');
    expect(s3.sent.map((s) => s.command)).toEqual(['CreateMultipartUploadCommand', 'UploadPartCommand', 'AbortMultipartUploadCommand']);
  });

  it('takes an async iterable as the body, chunk by chunk, and shows each chunk to onChunk in order', async () => {
    const s3 = fakeS3();
    const data = randomBytes(Math.round(11.5 * MiB));
    const body = async function* () {
      for (let offset = 0; offset < data.length; offset += 300_000) yield data.subarray(offset, offset + 300_000);
    };
    const seen: Buffer[] = [];
    const result = await uploadStream(s3.client, { bucket: 'b', key: 'k', body: body(), partSizeBytes: 5 * MiB, onChunk: (chunk) => seen.push(chunk) });
    expect(s3.sent.filter((s) => s.command === 'UploadPartCommand').map((s) => s.input.ContentLength)).toEqual([5 * MiB, 5 * MiB, data.length - 10 * MiB]);
    expect(s3.reassembled().equals(data)).toBe(true);
    expect(seen.every((chunk) => chunk.length === 300_000 || chunk === seen.at(-1))).toBe(true);
    expect(Buffer.concat(seen).equals(data)).toBe(true);
    expect(result.sizeBytes).toBe(data.length);
  });

  it('aborts the multipart upload when an iterable body throws, and ends the iteration when a part fails', async () => {
    const failing = async function* () {
      yield randomBytes(6 * MiB);
      throw new Error('source failed');
    };
    const s3 = fakeS3();
    await expect(uploadStream(s3.client, { bucket: 'b', key: 'k', body: failing(), partSizeBytes: 5 * MiB })).rejects.toThrow('source failed');
    expect(s3.sent.map((s) => s.command).at(-1)).toBe('AbortMultipartUploadCommand');

    let finished = false;
    const endless = async function* () {
      try {
        for (;;) yield randomBytes(MiB);
      } finally {
        finished = true;
      }
    };
    await expect(uploadStream(fakeS3({ failPart: 1 }).client, { bucket: 'b', key: 'k', body: endless(), partSizeBytes: 5 * MiB })).rejects.toMatchObject({ name: 'InternalError' });
    expect(finished).toBe(true);
  });

  it('stops a silent iterable body when the signal fires', async () => {
    const s3 = fakeS3();
    const silent = async function* () {
      yield randomBytes(6 * MiB);
      await new Promise(() => undefined);
    };
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('received SIGTERM')), 20);
    await expect(uploadStream(s3.client, { bucket: 'b', key: 'k', body: silent(), partSizeBytes: 5 * MiB, signal: controller.signal })).rejects.toThrow('received SIGTERM');
    expect(s3.sent.map((s) => s.command)).toEqual(['CreateMultipartUploadCommand', 'UploadPartCommand', 'AbortMultipartUploadCommand']);
  });

  it('stops a silent body when the signal fires', async () => {
    const s3 = fakeS3();
    const body = new Readable({ read() {} });
    body.push(randomBytes(6 * MiB));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('received SIGTERM')), 20);
    await expect(uploadStream(s3.client, { bucket: 'b', key: 'k', body, partSizeBytes: 5 * MiB, signal: controller.signal })).rejects.toThrow('received SIGTERM');
    expect(s3.sent.map((s) => s.command).at(-1)).toBe('AbortMultipartUploadCommand');
  });
});
