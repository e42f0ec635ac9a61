// GETs of whole objects or ranges, signed with SigV4 and sent on node:http(s) keep-alive
// connections, without the SDK. A bucket backup makes one GET per object; for small objects
// the SDK's per-request work (middleware stack, schema serde, endpoint rules) took more CPU
// than the S3 server spent answering (bench/runner-bucket.ts, docs/benchmarks.md). Listing,
// uploads and everything else still go through the SDK.
//
// Errors look like the SDK's (`name` = the S3 error code, `$metadata.httpStatusCode`), so
// s3/errors.ts describes both the same way.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Endpoint } from '../contract/s3-endpoint.ts';
import { credentialsFromEnv, perEndpoint } from './client.ts';
import { RequestSigner, escapeKeyPath } from './sigv4.ts';

export interface GetObjectRequest {
  bucket: string;
  key: string;
  /** Fail with PreconditionFailed (412) unless the object still has this ETag. */
  ifMatch?: string;
  /** Inclusive byte range. */
  range?: { start: number; end: number };
  signal?: AbortSignal;
}

export interface GetObjectResponse {
  body: AsyncIterable<Buffer>;
  etag?: string;
  lastModified?: Date;
  contentType?: string;
  cacheControl?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  expires?: string;
  /** User metadata (x-amz-meta-*), names in lowercase without the prefix. */
  metadata: Record<string, string>;
}

export type GetObject = (request: GetObjectRequest) => Promise<GetObjectResponse>;

export class S3ResponseError extends Error {
  readonly $metadata: { httpStatusCode: number };

  constructor(code: string, message: string, status: number) {
    super(message);
    this.name = code;
    this.$metadata = { httpStatusCode: status };
  }
}

export interface ObjectReaderOptions {
  env?: NodeJS.ProcessEnv;
  maxSockets?: number;
  /** Attempts for a request that failed before its body started (network, 5xx, throttling). */
  attempts?: number;
  /** A connection silent for this long is dropped (ETIMEDOUT). */
  idleTimeoutMs?: number;
}

const RETRYABLE_STATUS = new Set([500, 502, 503, 504]);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

export function createObjectReader(endpoint: S3Endpoint, options: ObjectReaderOptions = {}): GetObject {
  const base = new URL(endpoint.endpoint ?? `https://s3.${endpoint.region}.amazonaws.com`);
  const secure = base.protocol === 'https:';
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64 };
  const agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  const signer = new RequestSigner(credentialsFromEnv(endpoint.credentialsEnvPrefix, options.env), endpoint.region);
  const basePath = base.pathname.replace(/\/+$/, '');
  const attempts = options.attempts ?? 5;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;

  // Virtual-hosted style as the SDK does it: not for an IP address, nor for a bucket name that
  // is not a single DNS label (with dots, a TLS wildcard certificate would not match).
  const target = (bucket: string, key: string) =>
    endpoint.forcePathStyle || isIP(base.hostname) !== 0 || !/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket)
      ? { hostname: base.hostname, host: base.host, path: `${basePath}/${bucket}/${escapeKeyPath(key)}` }
      : { hostname: `${bucket}.${base.hostname}`, host: `${bucket}.${base.host}`, path: `${basePath}/${escapeKeyPath(key)}` };

  const once = (request: GetObjectRequest): Promise<IncomingMessage> => {
    const { hostname, host, path } = target(request.bucket, request.key);
    const headers = signer.sign({
      method: 'GET',
      path,
      headers: {
        host,
        ...(request.ifMatch ? { 'if-match': request.ifMatch } : {}),
        ...(request.range ? { range: `bytes=${request.range.start}-${request.range.end}` } : {}),
      },
    });
    return new Promise((resolve, reject) => {
      const sent = (secure ? https : http).request(
        { protocol: base.protocol, hostname, port: base.port, method: 'GET', path, headers, agent, signal: request.signal },
        resolve,
      );
      sent.setTimeout(idleTimeoutMs, () => sent.destroy(Object.assign(new Error(`no answer from ${base.host} for ${idleTimeoutMs} ms`), { code: 'ETIMEDOUT' })));
      sent.on('error', reject);
      sent.end();
    });
  };

  return async (request) => {
    for (let attempt = 1; ; attempt++) {
      let response: IncomingMessage;
      try {
        response = await once(request);
      } catch (error) {
        if (request.signal?.aborted || attempt >= attempts || !NETWORK_CODES.has((error as { code?: string }).code ?? '')) throw error;
        await backoff(attempt, request.signal);
        continue;
      }
      const status = response.statusCode ?? 0;
      if (status === 200 || status === 206) return responseOf(response);
      const failure = await errorOf(response);
      if (attempt >= attempts || !(RETRYABLE_STATUS.has(status) || failure.name === 'SlowDown')) throw failure;
      await backoff(attempt, request.signal);
    }
  };
}

/** The object's stored headers that a GET returns, by response field. */
const STORED_HEADERS = {
  etag: 'etag',
  contentType: 'content-type',
  cacheControl: 'cache-control',
  contentDisposition: 'content-disposition',
  contentEncoding: 'content-encoding',
  contentLanguage: 'content-language',
  expires: 'expires',
} as const;

function responseOf(response: IncomingMessage): GetObjectResponse {
  const text = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(', ') : value);
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    const stored = text(value);
    if (name.startsWith('x-amz-meta-') && stored !== undefined) metadata[name.slice('x-amz-meta-'.length)] = stored;
  }
  const result: GetObjectResponse = { body: response, metadata };
  for (const [field, name] of Object.entries(STORED_HEADERS) as [keyof typeof STORED_HEADERS, string][]) {
    const value = text(response.headers[name]);
    if (value !== undefined) result[field] = value;
  }
  const lastModified = text(response.headers['last-modified']);
  if (lastModified !== undefined) result.lastModified = new Date(lastModified);
  return result;
}

/** The S3 error of a non-2xx answer: its XML `<Code>` and `<Message>` (a HEAD-like bare status has none). */
async function errorOf(response: IncomingMessage): Promise<S3ResponseError> {
  const status = response.statusCode ?? 0;
  let text = '';
  for await (const chunk of response as AsyncIterable<Buffer>) if (text.length < 16_384) text += chunk.toString('utf8');
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? (status === 404 ? 'NotFound' : status === 412 ? 'PreconditionFailed' : `HTTP${status}`);
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? `HTTP ${status}`;
  return new S3ResponseError(code, message, status);
}

async function backoff(attempt: number, signal: AbortSignal | undefined): Promise<void> {
  const ms = Math.min(5_000, 100 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
  await sleep(ms, undefined, signal ? { signal } : {});
}

/** One reader per distinct endpoint config, like s3ClientFactory, so GETs share connections. */
export function objectReaderFactory(options: ObjectReaderOptions = {}): (endpoint: S3Endpoint) => GetObject {
  return perEndpoint((endpoint) => createObjectReader(endpoint, options));
}
