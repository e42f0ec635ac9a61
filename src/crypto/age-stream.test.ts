import { describe, expect, it, beforeAll } from '@jest/globals';
import { Decrypter, Encrypter } from 'age-encryption';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, type Transform } from 'node:stream';
import {
  AgeError,
  ageRecipientFromIdentity,
  createAgeDecryptStream,
  createAgeEncryptStream,
  encryptAge,
  generateAgeIdentity,
  parseAgeIdentities,
} from './age-stream.ts';

const KiB = 1024;

/** Pushes data through the transform in pieces of writeSize bytes and collects the output. */
async function through(transform: Transform, data: Buffer, writeSize = 100 * KiB): Promise<Buffer> {
  const pieces = function* () {
    for (let offset = 0; offset < data.length; offset += writeSize) yield data.subarray(offset, offset + writeSize);
  };
  const output: Buffer[] = [];
  await Readable.from(pieces()).pipe(transform).forEach((chunk: Buffer) => void output.push(chunk));
  return Buffer.concat(output);
}

let identity: string;
let recipient: string;

beforeAll(async () => {
  identity = await generateAgeIdentity();
  recipient = await ageRecipientFromIdentity(identity);
});

describe('age streams', () => {
  it.each([
    ['empty', 0],
    ['one byte', 1],
    ['exactly one chunk', 64 * KiB],
    ['one chunk and a byte', 64 * KiB + 1],
    ['exactly two chunks', 128 * KiB],
    ['several MB', 3 * 1024 * KiB + 12_345],
  ])('round-trips %s (%d bytes)', async (_name, size) => {
    const plaintext = randomBytes(size);
    const ciphertext = await through(createAgeEncryptStream([recipient]), plaintext, 7_001);
    expect(ciphertext.length).toBe(expectedCiphertextPayload(size) + headerAndNonce(ciphertext));
    const decrypted = await through(createAgeDecryptStream([identity]), ciphertext, 5_003);
    expect(decrypted.equals(plaintext)).toBe(true);
  });

  it('decrypts what the age-encryption library encrypts', async () => {
    const plaintext = randomBytes(200 * KiB + 7);
    const encrypter = new Encrypter();
    encrypter.addRecipient(recipient);
    const ciphertext = Buffer.from(await encrypter.encrypt(plaintext));
    expect((await through(createAgeDecryptStream([identity]), ciphertext)).equals(plaintext)).toBe(true);
  });

  it('produces files the age-encryption library decrypts', async () => {
    const plaintext = randomBytes(64 * KiB * 3);
    const ciphertext = await through(createAgeEncryptStream([recipient]), plaintext);
    const decrypter = new Decrypter();
    decrypter.addIdentity(identity);
    expect(Buffer.from(await decrypter.decrypt(ciphertext)).equals(plaintext)).toBe(true);
  });

  it.each([
    ['empty', 0, 1000],
    ['exactly one chunk', 64 * KiB, 64 * KiB],
    ['chunks in pieces that straddle them', 5 * 64 * KiB + 3, 131_075],
    ['chunks in tiny pieces', 2 * 64 * KiB + 1, 3],
  ])('encryptAge (the generator) writes the same format: %s', async (_name, size, pieceSize) => {
    const plaintext = randomBytes(size);
    const pieces = async function* () {
      for (let offset = 0; offset < plaintext.length; offset += pieceSize) yield plaintext.subarray(offset, offset + pieceSize);
    };
    const output: Buffer[] = [];
    for await (const chunk of encryptAge(pieces(), [recipient])) output.push(chunk);
    const ciphertext = Buffer.concat(output);
    expect(ciphertext.length).toBe(expectedCiphertextPayload(size) + headerAndNonce(ciphertext));
    expect((await through(createAgeDecryptStream([identity]), ciphertext)).equals(plaintext)).toBe(true);
    const decrypter = new Decrypter();
    decrypter.addIdentity(identity);
    expect(Buffer.from(await decrypter.decrypt(ciphertext)).equals(plaintext)).toBe(true);
  });

  it('encrypts to several recipients, each of which can decrypt', async () => {
    const other = await generateAgeIdentity();
    const plaintext = randomBytes(1000);
    const ciphertext = await through(
      createAgeEncryptStream([recipient, await ageRecipientFromIdentity(other)]),
      plaintext,
    );
    expect((await through(createAgeDecryptStream([other]), ciphertext)).equals(plaintext)).toBe(true);
    expect((await through(createAgeDecryptStream([identity]), ciphertext)).equals(plaintext)).toBe(true);
  });

  it('fails with a clear message for the wrong identity', async () => {
    const ciphertext = await through(createAgeEncryptStream([recipient]), randomBytes(100));
    const wrong = await generateAgeIdentity();
    await expect(through(createAgeDecryptStream([wrong]), ciphertext)).rejects.toThrow(
      /wrong age key: none of the given identities matches/,
    );
  });

  it('detects a flipped byte in the payload', async () => {
    const ciphertext = await through(createAgeEncryptStream([recipient]), randomBytes(300 * KiB));
    flipByte(ciphertext, ciphertext.length - 100 * KiB);
    const failure = through(createAgeDecryptStream([identity]), ciphertext);
    await expect(failure).rejects.toThrow(AgeError);
    await expect(failure).rejects.toThrow(/authentication failed at chunk 3/);
  });

  it('detects a flipped byte in the header', async () => {
    const ciphertext = await through(createAgeEncryptStream([recipient]), randomBytes(10));
    const macLine = ciphertext.indexOf('\n--- ') + 6;
    flipByte(ciphertext, macLine);
    await expect(through(createAgeDecryptStream([identity]), ciphertext)).rejects.toThrow(/header/);
  });

  it('detects a payload cut at a chunk boundary (final chunk missing)', async () => {
    const ciphertext = await through(createAgeEncryptStream([recipient]), randomBytes(200 * KiB));
    const cut = ciphertext.subarray(0, headerAndNonce(ciphertext) + 2 * (64 * KiB + 16));
    await expect(through(createAgeDecryptStream([identity]), cut)).rejects.toThrow(/truncated/);
  });

  it('detects a payload cut inside a chunk and a file cut inside the header', async () => {
    const ciphertext = await through(createAgeEncryptStream([recipient]), randomBytes(100 * KiB));
    await expect(through(createAgeDecryptStream([identity]), ciphertext.subarray(0, ciphertext.length - 1))).rejects.toThrow(
      AgeError,
    );
    await expect(through(createAgeDecryptStream([identity]), ciphertext.subarray(0, 30))).rejects.toThrow(/truncated/);
  });

  it('rejects data that is not age', async () => {
    await expect(through(createAgeDecryptStream([identity]), Buffer.from('PK\u0003\u0004 zip'))).rejects.toThrow(
      /not an age v1 encrypted file/,
    );
  });

  it('rejects a bad recipient and a bad identity without echoing them', async () => {
    await expect(through(createAgeEncryptStream(['age1notarecipient']), Buffer.from('x'))).rejects.toThrow(
      /invalid age recipient/,
    );
    await expect(ageRecipientFromIdentity('AGE-SECRET-KEY-1BOGUS')).rejects.toThrow(
      /^invalid age identity \(expected AGE-SECRET-KEY-1\.\.\.\)$/,
    );
  });

  it('reads identity files as age-keygen writes them', () => {
    const file = `# created: 2025-01-01T00:00:00Z\n# public key: ${recipient}\n${identity}\n\n`;
    expect(parseAgeIdentities(file)).toEqual([identity]);
  });
});

const ageCli = spawnSync('age', ['--version']).status === 0;
if (!ageCli) {
  // Visible in the test output, so a missing `age` never looks like a passing interop check.
  console.warn('age CLI not found: skipping interop with the age command (apt-get install age)');
}

(ageCli ? describe : describe.skip)('age streams with the age CLI', () => {
  it('age -d decrypts our output, and we decrypt age -r output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-age-'));
    try {
      const keyFile = join(dir, 'key.txt');
      writeFileSync(keyFile, `${identity}\n`, { mode: 0o600 });
      const plaintext = randomBytes(64 * KiB * 2 + 99);

      const ours = await through(createAgeEncryptStream([recipient]), plaintext);
      const byCli = execFileSync('age', ['-d', '-i', keyFile], { input: ours, maxBuffer: 1 << 26 });
      expect(sha256(byCli)).toBe(sha256(plaintext));

      const theirs = execFileSync('age', ['-r', recipient], { input: plaintext, maxBuffer: 1 << 26 });
      expect(sha256(await through(createAgeDecryptStream([identity]), theirs))).toBe(sha256(plaintext));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function headerAndNonce(ciphertext: Buffer): number {
  return ciphertext.indexOf('\n', ciphertext.indexOf('\n--- ') + 1) + 1 + 16;
}

function expectedCiphertextPayload(size: number): number {
  const chunks = Math.max(1, Math.ceil(size / (64 * KiB)));
  return size + chunks * 16;
}

function flipByte(data: Buffer, offset: number): void {
  data.writeUInt8(data.readUInt8(offset) ^ 0x01, offset);
}
