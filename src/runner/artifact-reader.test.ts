import { describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Compression } from '../contract/compression.ts';
import { ageRecipientFromIdentity, createAgeEncryptStream, generateAgeIdentity } from '../crypto/age-stream.ts';
import { RunnerError } from '../failures/runner-error.ts';
import { verifyAndDecode } from './artifact-reader.ts';
import { createCompressStream } from './compression.ts';

const MiB = 1024 * 1024;

async function encode(data: Buffer, compression: Compression, recipients: string[] = []): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const stages: NodeJS.ReadWriteStream[] = [createCompressStream(compression)];
  if (recipients.length > 0) stages.push(createAgeEncryptStream(recipients));
  await pipeline([
    Readable.from([data]),
    ...stages,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback();
      },
    }),
  ]);
  return Buffer.concat(chunks);
}

function manifestOf(stored: Buffer, compression: Compression, encrypted: boolean) {
  return {
    sizeBytes: stored.length,
    sha256: createHash('sha256').update(stored).digest('hex'),
    compression,
    encryption: encrypted ? { format: 'age' as const, recipients: [] } : null,
  };
}

/** Feeds `stored` in 64 KiB pieces, like a network stream. */
function storedStream(stored: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < stored.length; offset += 64 * 1024) yield stored.subarray(offset, offset + 64 * 1024);
    })(),
  );
}

/** Reads everything; reports whether the consumer ever saw the end. */
async function consume(stream: Readable): Promise<{ data: Buffer; error?: unknown }> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return { data: Buffer.concat(chunks) };
  } catch (error) {
    return { data: Buffer.concat(chunks), error };
  }
}

describe('verifyAndDecode', () => {
  const data = Buffer.concat([randomBytes(2 * MiB), Buffer.alloc(3 * MiB, 'lifeboat ')]);

  it.each(['zstd', 'gzip', 'none'] as const)('returns the original bytes of a %s artifact', async (compression) => {
    const stored = await encode(data, compression);
    const result = await consume(verifyAndDecode(storedStream(stored), { what: 'a', artifact: manifestOf(stored, compression, false) }));
    expect(result.error).toBeUndefined();
    expect(result.data.equals(data)).toBe(true);
  });

  it('decrypts an age-encrypted artifact with the right identity', async () => {
    const identity = await generateAgeIdentity();
    const stored = await encode(data, 'zstd', [await ageRecipientFromIdentity(identity)]);
    const result = await consume(
      verifyAndDecode(storedStream(stored), { what: 'a', artifact: manifestOf(stored, 'zstd', true), identities: [identity] }),
    );
    expect(result.error).toBeUndefined();
    expect(result.data.equals(data)).toBe(true);
  });

  it('reports one flipped byte as a checksum mismatch, not as a decoder error', async () => {
    const stored = await encode(data, 'zstd');
    const artifact = manifestOf(stored, 'zstd', false);
    const corrupt = Buffer.from(stored);
    corrupt.writeUInt8(corrupt.readUInt8(Math.floor(corrupt.length / 2)) ^ 0x01, Math.floor(corrupt.length / 2));
    const result = await consume(verifyAndDecode(storedStream(corrupt), { what: 'artifact x', artifact }));
    expect(result.error).toBeInstanceOf(RunnerError);
    expect((result.error as RunnerError).code).toBe('ChecksumMismatch');
    expect((result.error as Error).message).toMatch(/artifact x does not match its manifest/);
    // Both checksums in full, for the drill's Checksum check.
    expect((result.error as RunnerError).details).toEqual({
      checksum: { expected: { sha256: artifact.sha256, sizeBytes: artifact.sizeBytes }, actual: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/), sizeBytes: corrupt.length } },
    });
    expect(((result.error as RunnerError).details!.checksum as { actual: { sha256: string } }).actual.sha256).not.toBe(artifact.sha256);
  });

  it('never lets the consumer see the end of data whose checksum does not match', async () => {
    // Uncompressed, so every byte decodes fine: only the checksum can catch it.
    const stored = await encode(data, 'none');
    const artifact = manifestOf(stored, 'none', false);
    const corrupt = Buffer.from(stored);
    corrupt.writeUInt8(corrupt.readUInt8(corrupt.length - 1) ^ 0xff, corrupt.length - 1);
    const result = await consume(verifyAndDecode(storedStream(corrupt), { what: 'a', artifact }));
    expect((result.error as RunnerError).code).toBe('ChecksumMismatch');
    expect(result.data.length).toBeLessThan(data.length);
  });

  it('can leave the output compressed, holding back at least the given tail until verified', async () => {
    const stored = await encode(data, 'zstd');
    const artifact = manifestOf(stored, 'zstd', false);
    const options = { what: 'a', artifact, decompress: false, holdBackBytes: 1024 * 1024 };
    const good = await consume(verifyAndDecode(storedStream(stored), options));
    expect(good.data.equals(stored)).toBe(true);
    const corrupt = Buffer.from(stored);
    corrupt.writeUInt8(corrupt.readUInt8(corrupt.length - 1) ^ 0x01, corrupt.length - 1);
    const bad = await consume(verifyAndDecode(storedStream(corrupt), options));
    expect((bad.error as RunnerError).code).toBe('ChecksumMismatch');
    expect(bad.data.length).toBeLessThanOrEqual(stored.length - 1024 * 1024);
  });

  it('detects bytes appended to the stored object', async () => {
    const stored = await encode(data, 'none');
    const artifact = manifestOf(stored, 'none', false);
    const result = await consume(verifyAndDecode(storedStream(Buffer.concat([stored, Buffer.from('x')])), { what: 'a', artifact }));
    expect((result.error as RunnerError).code).toBe('ChecksumMismatch');
  });

  it('fails clearly with the wrong age key', async () => {
    const stored = await encode(data, 'zstd', [await ageRecipientFromIdentity(await generateAgeIdentity())]);
    const result = await consume(
      verifyAndDecode(storedStream(stored), {
        what: 'a',
        artifact: manifestOf(stored, 'zstd', true),
        identities: [await generateAgeIdentity()],
      }),
    );
    expect(String(result.error)).toMatch(/wrong age key/);
    expect((result.error as RunnerError).code).toBe("DecryptionFailed");
    expect((result.error as Error).message).toMatch(/wrong age key/);
  });

  it('refuses an encrypted artifact without identities', () => {
    expect(() =>
      verifyAndDecode(Readable.from([]), { what: 'a', artifact: { sizeBytes: 0, sha256: '0', compression: 'none', encryption: { format: 'age', recipients: [] } } }),
    ).toThrow(/no identity/);
  });
});
