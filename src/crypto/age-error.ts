// Every age failure (wrong key, corrupted or truncated data, bad recipient) is an AgeError
// with a one-line message that names the cause and never contains key material.
export class AgeError extends Error {
  override name = 'AgeError';
}
