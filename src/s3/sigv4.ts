// AWS Signature Version 4 for plain S3 requests without a signed body (UNSIGNED-PAYLOAD):
// what object-reader.ts needs to GET objects without the SDK. The derived signing key is
// cached per day, with its HMAC pads already hashed, so a request costs three short SHA-256s.
import { createHash, createHmac, type Hash } from 'node:crypto';
import type { S3Credentials } from './client.ts';

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

export interface SignableRequest {
  method: string;
  /** The path exactly as sent: already escaped with escapeKeyPath(); S3 does not re-escape it. */
  path: string;
  /** Header names in lowercase; host included. */
  headers: Record<string, string>;
}

/** RFC 3986 escaping of one path segment, as S3 expects (`!'()*` too). */
function escapeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** An object key as a URL path: every segment escaped, the slashes kept (`../x` and `//` stay as they are). */
export function escapeKeyPath(key: string): string {
  return key.split('/').map(escapeSegment).join('/');
}

/** `20130524T000000Z` */
export function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export class RequestSigner {
  private readonly credentials: S3Credentials;
  private readonly region: string;
  private key: { day: string; hmac: PreparedHmac } | undefined;

  constructor(credentials: S3Credentials, region: string) {
    this.credentials = credentials;
    this.region = region;
  }

  /** Adds x-amz-date, x-amz-content-sha256, the session token if any, and authorization. */
  sign(request: SignableRequest, now: Date = new Date()): Record<string, string> {
    const timestamp = amzDate(now);
    const day = timestamp.slice(0, 8);
    const headers: Record<string, string> = {
      ...request.headers,
      'x-amz-date': timestamp,
      'x-amz-content-sha256': request.headers['x-amz-content-sha256'] ?? UNSIGNED_PAYLOAD,
      ...(this.credentials.sessionToken ? { 'x-amz-security-token': this.credentials.sessionToken } : {}),
    };
    const names = Object.keys(headers).sort();
    const canonicalHeaders = names.map((name) => `${name}:${(headers[name] as string).trim().replace(/\s+/g, ' ')}\n`).join('');
    const signedHeaders = names.join(';');
    const canonicalRequest = [request.method, request.path, '', canonicalHeaders, signedHeaders, headers['x-amz-content-sha256']].join('\n');
    const scope = `${day}/${this.region}/s3/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', timestamp, scope, sha256Hex(canonicalRequest)].join('\n');
    const signature = this.signingKey(day).digest(stringToSign);
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${this.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return headers;
  }

  private signingKey(day: string): PreparedHmac {
    if (this.key?.day !== day) {
      const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
      const value = hmac(hmac(hmac(hmac(`AWS4${this.credentials.secretAccessKey}`, day), this.region), 's3'), 'aws4_request');
      this.key = { day, hmac: new PreparedHmac(value) };
    }
    return this.key.hmac;
  }
}

/**
 * HMAC-SHA256 with a fixed key (RFC 2104), its inner and outer pads hashed once: createHmac
 * imports the key on every call, which showed up in the profile of many small GETs.
 */
class PreparedHmac {
  private readonly inner: Hash;
  private readonly outer: Hash;

  constructor(key: Buffer) {
    // The signing key is a SHA-256 output (32 bytes), shorter than the 64-byte block.
    const block = Buffer.alloc(64);
    key.copy(block);
    this.inner = createHash('sha256').update(block.map((byte) => byte ^ 0x36));
    this.outer = createHash('sha256').update(block.map((byte) => byte ^ 0x5c));
  }

  digest(message: string): string {
    const inner = this.inner.copy().update(message).digest();
    return this.outer.copy().update(inner).digest('hex');
  }
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
