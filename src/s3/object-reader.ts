// GETs of whole objects or ranges, signed with SigV4 and sent with undici's dispatcher on
// keep-alive connections, without the SDK. A bucket backup makes one GET per object; for small
// objects the SDK's per-request work (middleware stack, schema serde, endpoint rules) took more
// CPU than the S3 server spent answering, and node:http's client about 1.7x what undici's
// dispatch API takes (20,000 GETs of 4-64 KiB: 7 vs 4 CPU s; 1 GiB in 2 MiB ranges: 4.7-6.3 vs
// 2.4-2.9 CPU s, most of the difference garbage collection). A body the caller holds whole
// anyway (`whole`: a bucket backup's objects and ranges) skips undici too: whole-get.ts reads it
// straight into one buffer of its size. Listing, uploads and everything else still go through
// the SDK.
//
// Errors look like the SDK's (`name` = the S3 error code, `$metadata.httpStatusCode`), so
// s3/errors.ts describes both the same way.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Agent, Dispatcher } from 'undici';
import { isIP } from 'node:net';
import type { S3Endpoint } from '../contract/s3-endpoint.ts';
import { credentialsFromEnv, perEndpoint } from './client.ts';
import { RequestSigner, escapeKeyPath } from './sigv4.ts';
import { WholeGetClient } from './whole-get.ts';

export interface GetObjectRequest {
  bucket: string;
  key: string;
  /** Fail with PreconditionFailed (412) unless the object still has this ETag. */
  ifMatch?: string;
  /** Inclusive byte range. */
  range?: { start: number; end: number };
  /** The caller holds the whole body in memory anyway (a few MiB at most): it is read straight
   *  into one buffer of its size and comes as that one chunk (see whole-get.ts). */
  whole?: boolean;
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
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET']);
/** undici's timeouts, reported as ETIMEDOUT like a silent connection elsewhere. */
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

type Headers = Record<string, string | string[] | undefined>;

interface Answer {
  status: number;
  headers: Headers;
  body: AsyncIterable<Buffer>;
}

export function createObjectReader(endpoint: S3Endpoint, options: ObjectReaderOptions = {}): GetObject {
  const base = new URL(endpoint.endpoint ?? `https://s3.${endpoint.region}.amazonaws.com`);
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  // HTTP/1.1 only: undici 8 would negotiate HTTP/2 with a TLS endpoint that offers it, and its
  // HTTP/2 teardown can still raise an error nobody listens to (see KubeClient#pool).
  // undici loads on the first GET: most runner tasks never make one, and loading it took about
  // 0.1 s of each Job's start (a drill's provision, restore, check and cleanup Jobs all paid it).
  let agentLoaded: Promise<Agent> | undefined;
  const agent = (): Promise<Agent> =>
    (agentLoaded ??= import('undici').then(
      ({ Agent }) => new Agent({ allowH2: false, connections: options.maxSockets ?? 64, headersTimeout: idleTimeoutMs, bodyTimeout: idleTimeoutMs }),
    ));
  const signer = new RequestSigner(credentialsFromEnv(endpoint.credentialsEnvPrefix, options.env), endpoint.region);
  const basePath = base.pathname.replace(/\/+$/, '');
  const attempts = options.attempts ?? 5;
  const whole = new WholeGetClient({ maxSockets: options.maxSockets ?? 64, idleTimeoutMs });
  const protocol = base.protocol === 'https:' ? 'https:' : 'http:';
  const port = Number(base.port || (protocol === 'https:' ? 443 : 80));
  /** The host name to connect to: an IPv6 address without its URL brackets. */
  const bareHostname = base.hostname.replace(/^\[|\]$/g, '');

  // Virtual-hosted style as the SDK does it: not for an IP address, nor for a bucket name that
  // is not a single DNS label (with dots, a TLS wildcard certificate would not match).
  const target = (bucket: string, key: string) =>
    endpoint.forcePathStyle || isIP(base.hostname) !== 0 || !/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket)
      ? { origin: base.origin, hostname: bareHostname, host: base.host, path: `${basePath}/${bucket}/${escapeKeyPath(key)}` }
      : { origin: `${base.protocol}//${bucket}.${base.host}`, hostname: `${bucket}.${bareHostname}`, host: `${bucket}.${base.host}`, path: `${basePath}/${escapeKeyPath(key)}` };

  const send = async (request: GetObjectRequest): Promise<Answer> => {
    const { origin, hostname, host, path } = target(request.bucket, request.key);
    const headers = signer.sign({
      method: 'GET',
      path,
      headers: {
        host,
        ...(request.ifMatch ? { 'if-match': request.ifMatch } : {}),
        ...(request.range ? { range: `bytes=${request.range.start}-${request.range.end}` } : {}),
      },
    });
    if (request.whole) {
      const answer = await whole.get({ protocol, hostname, port }, path, headers, request.signal);
      return { status: answer.status, headers: answer.headers, body: once(answer.body) };
    }
    const dispatcher = await agent();
    return new Promise((resolve, reject) => {
      const { signal } = request;
      const body = new ResponseBody();
      let started = false;
      let controller: Dispatcher.DispatchController | undefined;
      const onAbort = (): void => controller?.abort(signal?.reason instanceof Error ? signal.reason : new Error('request aborted'));
      const done = (): void => signal?.removeEventListener('abort', onAbort);
      signal?.addEventListener('abort', onAbort, { once: true });
      dispatcher.dispatch(
        { origin, path, method: 'GET', headers },
        {
          onRequestStart(requestController: Dispatcher.DispatchController) {
            controller = requestController;
            body.controller = requestController;
            if (signal?.aborted) onAbort();
          },
          onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, responseHeaders: Headers) {
            started = true;
            resolve({ status: statusCode, headers: responseHeaders, body });
          },
          onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer) {
            body.push(chunk);
          },
          onResponseEnd() {
            done();
            body.end();
          },
          onResponseError(_controller: Dispatcher.DispatchController, error: Error) {
            done();
            const described = describeNetworkError(error, base.host, idleTimeoutMs);
            if (started) body.fail(described);
            else reject(described);
          },
        },
      );
    });
  };

  return async (request) => {
    for (let attempt = 1; ; attempt++) {
      let answer: Answer;
      try {
        answer = await send(request);
      } catch (error) {
        if (request.signal?.aborted || attempt >= attempts || !NETWORK_CODES.has((error as { code?: string }).code ?? '')) throw error;
        await backoff(attempt, request.signal);
        continue;
      }
      if (answer.status === 200 || answer.status === 206) return responseOf(answer);
      const failure = await errorOf(answer);
      if (attempt >= attempts || !(RETRYABLE_STATUS.has(answer.status) || failure.name === 'SlowDown')) throw failure;
      await backoff(attempt, request.signal);
    }
  };
}

function describeNetworkError(error: Error, host: string, idleTimeoutMs: number): Error {
  const code = (error as { code?: string }).code ?? '';
  if (!TIMEOUT_CODES.has(code)) return error;
  return Object.assign(new Error(`no answer from ${host} for ${idleTimeoutMs} ms`, { cause: error }), { code: 'ETIMEDOUT' });
}

/** Chunks a body holds before the connection is paused (a reader that streams a whole object). */
const BODY_HIGH_WATER_BYTES = 1024 * 1024;

/**
 * A response body as an async iterable, fed by undici's handler: chunks queue up to
 * BODY_HIGH_WATER_BYTES, then the connection pauses until the reader catches up. A reader that
 * stops early aborts the request (the connection is not reused half-read).
 */
class ResponseBody implements AsyncIterable<Buffer> {
  controller: Dispatcher.DispatchController | undefined;
  private readonly chunks: Buffer[] = [];
  private head = 0;
  private bytes = 0;
  private ended = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    if (this.bytes > BODY_HIGH_WATER_BYTES && this.controller && !this.controller.paused) this.controller.pause();
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  fail(error: Error): void {
    this.error = error;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    let finished = false;
    try {
      for (;;) {
        if (this.head < this.chunks.length) {
          const chunk = this.chunks[this.head] as Buffer;
          this.chunks[this.head++] = EMPTY;
          if (this.head === this.chunks.length) {
            this.chunks.length = 0;
            this.head = 0;
          }
          this.bytes -= chunk.length;
          if (this.controller?.paused && this.bytes <= BODY_HIGH_WATER_BYTES / 2) this.controller.resume();
          yield chunk;
          continue;
        }
        if (this.error) throw this.error;
        if (this.ended) {
          finished = true;
          return;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      if (!finished && !this.ended && this.error === undefined) this.controller?.abort(new Error('response body not read to the end'));
    }
  }
}

const EMPTY = Buffer.alloc(0);

async function* once(chunk: Buffer): AsyncGenerator<Buffer> {
  yield chunk;
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

function responseOf(response: Answer): GetObjectResponse {
  const text = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(', ') : value);
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    const stored = text(value);
    if (name.startsWith('x-amz-meta-') && stored !== undefined) metadata[name.slice('x-amz-meta-'.length)] = stored;
  }
  const result: GetObjectResponse = { body: response.body, metadata };
  for (const [field, name] of Object.entries(STORED_HEADERS) as [keyof typeof STORED_HEADERS, string][]) {
    const value = text(response.headers[name]);
    if (value !== undefined) result[field] = value;
  }
  const lastModified = text(response.headers['last-modified']);
  if (lastModified !== undefined) result.lastModified = new Date(lastModified);
  return result;
}

/** The S3 error of a non-2xx answer: its XML `<Code>` and `<Message>` (a HEAD-like bare status has none). */
async function errorOf(response: Answer): Promise<S3ResponseError> {
  const { status } = response;
  let text = '';
  for await (const chunk of response.body) if (text.length < 16_384) text += chunk.toString('utf8');
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
