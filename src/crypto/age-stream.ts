// Streaming age v1 encryption and decryption as node:stream Transforms, so an artifact of any
// size passes through in 64 KiB chunks with flat memory. The output is a plain binary age file:
// `age -d -i key.txt` decrypts it and `age -r age1...` output decrypts here.
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { type KeyObject, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AgeError } from './age-error.ts';
import { headerLength, openFileKey, sealFileKey, type SealedFileKey } from './age-header.ts';
import {
  CHUNK_SIZE,
  PAYLOAD_NONCE_SIZE,
  SEALED_CHUNK_SIZE,
  openChunk,
  payloadKey,
  sealChunk,
} from './age-payload.ts';
import { ByteQueue } from './byte-queue.ts';

export { AgeError } from './age-error.ts';

const STREAM_BUFFER_BYTES = 256 * 1024;

/** Encrypts to every recipient (`age1...`); any one of their identities can decrypt. */
export function createAgeEncryptStream(recipients: readonly string[]): Transform {
  return new AgeEncryptStream(recipients);
}

/**
 * The same encryption as a generator over chunks: the artifact writer chains its stages as
 * generators, one step per chunk instead of a stream's buffering and scheduling.
 */
export async function* encryptAge(source: AsyncIterable<Buffer>, recipients: readonly string[]): AsyncGenerator<Buffer> {
  const { header, fileKey } = await sealFileKey(recipients);
  const nonce = randomBytes(PAYLOAD_NONCE_SIZE);
  yield header;
  yield nonce;
  const sealer = new PayloadSealer(payloadKey(fileKey, nonce));
  for await (const chunk of source) yield* sealer.push(chunk);
  yield* sealer.end();
}

/** Decrypts with the first identity (`AGE-SECRET-KEY-1...`) that matches a recipient. */
export function createAgeDecryptStream(identities: readonly string[]): Transform {
  return new AgeDecryptStream(identities);
}

/** A new X25519 identity, `AGE-SECRET-KEY-1...`, as `age-keygen` makes. */
export async function generateAgeIdentity(): Promise<string> {
  return generateX25519Identity();
}

/** The public recipient (`age1...`) of an identity. */
export async function ageRecipientFromIdentity(identity: string): Promise<string> {
  try {
    return await identityToRecipient(identity.trim());
  } catch {
    throw new AgeError('invalid age identity (expected AGE-SECRET-KEY-1...)');
  }
}

/**
 * The identities in an age identity file as `age-keygen` writes it: one per line, `#`
 * comments and blank lines ignored. Lets a Secret hold the file unchanged.
 */
export function parseAgeIdentities(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** The STREAM payload: plaintext in chunks of any size, sealed 64 KiB chunks out. */
class PayloadSealer {
  private readonly key: KeyObject;
  private readonly pending = new ByteQueue();
  private counter = 0;

  constructor(key: KeyObject) {
    this.key = key;
  }

  /** Seals every chunk known not to be the last: strictly more than a chunk must be queued,
   *  since a chunk is only "not last" once a byte after it exists. */
  push(plaintext: Buffer): Buffer[] {
    this.pending.push(plaintext);
    if (this.pending.length <= CHUNK_SIZE) return NOTHING;
    const sealed: Buffer[] = [];
    while (this.pending.length > CHUNK_SIZE) sealed.push(...sealChunk(this.key, this.counter++, false, this.pending.takePieces(CHUNK_SIZE)));
    return sealed;
  }

  /** The rest, sealed as the final chunk (empty if there was no plaintext at all). */
  end(): Buffer[] {
    return sealChunk(this.key, this.counter++, true, this.pending.takePieces(this.pending.length));
  }
}

const NOTHING: Buffer[] = [];

class AgeEncryptStream extends Transform {
  private readonly sealing: Promise<SealedFileKey>;
  private sealer: PayloadSealer | undefined;

  constructor(recipients: readonly string[]) {
    super({ readableHighWaterMark: STREAM_BUFFER_BYTES, writableHighWaterMark: STREAM_BUFFER_BYTES });
    this.sealing = sealFileKey(recipients);
    // Surfaced on the first write or at the end; this only keeps Node from reporting it early.
    this.sealing.catch(() => undefined);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.whenStarted((sealer) => sealer.push(chunk), callback);
  }

  override _flush(callback: TransformCallback): void {
    this.whenStarted((sealer) => sealer.end(), callback);
  }

  private whenStarted(step: (sealer: PayloadSealer) => Buffer[], callback: TransformCallback): void {
    const run = (sealer: PayloadSealer): void => runStep(() => {
      for (const piece of step(sealer)) this.push(piece);
    }, callback);
    if (this.sealer !== undefined) {
      run(this.sealer);
      return;
    }
    this.sealing.then(({ header, fileKey }) => {
      if (this.sealer === undefined) {
        const nonce = randomBytes(PAYLOAD_NONCE_SIZE);
        this.sealer = new PayloadSealer(payloadKey(fileKey, nonce));
        this.push(header);
        this.push(nonce);
      }
      run(this.sealer);
    }, callback);
  }
}

class AgeDecryptStream extends Transform {
  private readonly identities: readonly string[];
  private headerBytes: Buffer = Buffer.alloc(0);
  private readonly pending = new ByteQueue();
  private fileKey: Buffer | undefined;
  private key: KeyObject | undefined;
  private counter = 0;

  constructor(identities: readonly string[]) {
    super({ readableHighWaterMark: STREAM_BUFFER_BYTES, writableHighWaterMark: STREAM_BUFFER_BYTES });
    this.identities = identities;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.fileKey !== undefined) {
      this.pending.push(chunk);
      runStep(() => this.openChunks(false), callback);
      return;
    }
    this.headerBytes = Buffer.concat([this.headerBytes, chunk]);
    let length: number | undefined;
    try {
      length = headerLength(this.headerBytes);
    } catch (error) {
      callback(error as Error);
      return;
    }
    if (length === undefined) {
      callback();
      return;
    }
    const header = this.headerBytes.subarray(0, length);
    this.pending.push(this.headerBytes.subarray(length));
    this.headerBytes = Buffer.alloc(0);
    openFileKey(header, this.identities).then((fileKey) => {
      this.fileKey = fileKey;
      runStep(() => this.openChunks(false), callback);
    }, callback);
  }

  override _flush(callback: TransformCallback): void {
    if (this.fileKey === undefined) {
      callback(new AgeError('age file is truncated: it ends inside the header'));
      return;
    }
    runStep(() => this.openChunks(true), callback);
  }

  private openChunks(atEnd: boolean): void {
    if (this.key === undefined) {
      if (this.pending.length < PAYLOAD_NONCE_SIZE) {
        if (atEnd) throw new AgeError('age file is truncated: it ends before the payload');
        return;
      }
      this.key = payloadKey(this.fileKey as Buffer, this.pending.take(PAYLOAD_NONCE_SIZE));
    }
    // A full-size chunk may still be the last one, so only chunks followed by more data are
    // opened as "not last" before the end of input is known.
    while (this.pending.length > SEALED_CHUNK_SIZE) {
      this.push(openChunk(this.key, this.counter++, false, this.pending.take(SEALED_CHUNK_SIZE)));
    }
    if (atEnd) {
      if (this.pending.length === 0) throw new AgeError('age payload is truncated: the data ends before its final chunk');
      const last = openChunk(this.key, this.counter++, true, this.pending.takeAll());
      if (last.length > 0) this.push(last);
    }
  }
}

function runStep(step: () => void, callback: TransformCallback): void {
  try {
    step();
  } catch (error) {
    callback(error as Error);
    return;
  }
  callback();
}
