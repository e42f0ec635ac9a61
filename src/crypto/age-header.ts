// The age v1 header (https://age-encryption.org/v1): the random file key wrapped for each
// recipient, authenticated by an HMAC. It comes from the `age-encryption` library, the
// reference implementation's JavaScript port, so recipient types (X25519, post-quantum
// hybrid) and header encoding stay exactly as age defines them. Only the payload, where all
// the bytes are, is ours (age-payload.ts), because node:crypto is about 9x faster there.
import { Decrypter, Encrypter, type Recipient } from 'age-encryption';
import { AgeError } from './age-error.ts';

export const AGE_MAGIC = 'age-encryption.org/v1\n';
/** Far above any real header (a post-quantum stanza is about 1.6 KB); stops runaway reads. */
export const MAX_HEADER_BYTES = 1024 * 1024;

export interface SealedFileKey {
  /** Header bytes, from the version line through the MAC line and its newline. */
  header: Buffer;
  /** The 16-byte file key the header wraps. */
  fileKey: Buffer;
}

/**
 * Creates a fresh file key and the header that wraps it for every recipient.
 *
 * The library exposes no header-only call, so we ask it to encrypt an empty file and cut the
 * header off: an empty age file is exactly header || 16-byte nonce || one final chunk that is
 * just its 16-byte tag. The file key reaches us through the library's public Recipient
 * interface, which is called once with the key of the file being encrypted; that recipient
 * adds no stanza. The library's nonce and empty payload are discarded.
 */
export async function sealFileKey(recipients: readonly string[]): Promise<SealedFileKey> {
  if (recipients.length === 0) throw new AgeError('age encryption needs at least one recipient');
  const encrypter = new Encrypter();
  for (const recipient of recipients) {
    try {
      encrypter.addRecipient(recipient.trim());
    } catch (error) {
      throw new AgeError(`invalid age recipient (expected age1...): ${(error as Error).message}`);
    }
  }
  let fileKey: Uint8Array | undefined;
  const fileKeyCapture: Recipient = {
    wrapFileKey(key) {
      fileKey = key.slice();
      return [];
    },
  };
  encrypter.addRecipient(fileKeyCapture);
  const emptyFile = await encrypter.encrypt(new Uint8Array(0));
  if (fileKey === undefined) throw new AgeError('age library did not hand out the file key');
  const header = Buffer.from(emptyFile.subarray(0, emptyFile.length - 32));
  if (!header.subarray(0, AGE_MAGIC.length).equals(Buffer.from(AGE_MAGIC))) {
    throw new AgeError('age library produced an unexpected header');
  }
  return { header, fileKey: Buffer.from(fileKey) };
}

/**
 * Length of the header at the start of data (through the newline ending the `---` MAC line),
 * or undefined when more bytes are needed. Throws when data is not an age v1 binary file.
 */
export function headerLength(data: Buffer): number | undefined {
  const magicBytes = Math.min(data.length, AGE_MAGIC.length);
  if (!data.subarray(0, magicBytes).equals(Buffer.from(AGE_MAGIC).subarray(0, magicBytes))) {
    const armored = data.subarray(0, 10).toString('latin1') === '-----BEGIN';
    throw new AgeError(
      armored
        ? 'the data is ASCII-armored age; dearmor it first (age -d handles armor)'
        : 'the data is not an age v1 encrypted file (missing "age-encryption.org/v1" header)',
    );
  }
  // Stanza lines start with "-> " or are base64, so the first line starting with "--- " is
  // the MAC line.
  const macLineStart = data.indexOf('\n--- ');
  if (macLineStart >= 0) {
    const end = data.indexOf('\n', macLineStart + 1);
    if (end >= 0) return end + 1;
  }
  if (data.length > MAX_HEADER_BYTES) throw new AgeError('age header is larger than 1 MiB: not a valid age file');
  return undefined;
}

/** Verifies the header MAC and returns the file key, using the first identity that matches. */
export async function openFileKey(header: Buffer, identities: readonly string[]): Promise<Buffer> {
  if (identities.length === 0) throw new AgeError('age decryption needs at least one identity');
  const decrypter = new Decrypter();
  for (const identity of identities) {
    try {
      decrypter.addIdentity(identity.trim());
    } catch {
      // The library's message may echo part of the key; ours does not.
      throw new AgeError('invalid age identity (expected AGE-SECRET-KEY-1...)');
    }
  }
  try {
    return Buffer.from(await decrypter.decryptHeader(header));
  } catch (error) {
    const message = (error as Error).message;
    if (/no identity matched/i.test(message)) {
      throw new AgeError('wrong age key: none of the given identities matches a recipient of this file');
    }
    if (/HMAC/i.test(message)) {
      throw new AgeError('age header authentication failed: the header is corrupted or was tampered with');
    }
    throw new AgeError(`invalid age header: ${message}`);
  }
}
