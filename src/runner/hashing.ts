// SHA-256 and size of bytes seen in order: the artifact's (artifact-writer.ts) and each
// object's in a bucket backup, for the manifest.
import { createHash, type Hash } from 'node:crypto';

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
