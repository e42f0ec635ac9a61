// A pass-through stream that hashes and counts what flows through it.
import { createHash, type Hash } from 'node:crypto';
import { Transform } from 'node:stream';

export class HashingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;
  private digest: string | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /** The hex digest; call only after the stream has ended. */
  sha256(): string {
    this.digest ??= this.hash.digest('hex');
    return this.digest;
  }
}

/** Incremental SHA-256 and size of bytes seen in order. */
export class Sha256Counter {
  private readonly hash: Hash = createHash('sha256');
  sizeBytes = 0;

  update(chunk: Buffer): void {
    this.hash.update(chunk);
    this.sizeBytes += chunk.length;
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}
