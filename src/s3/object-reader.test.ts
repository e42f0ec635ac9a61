// The reader against a local HTTP server that plays S3's part of the protocol: what it sends
// (path, signature headers, If-Match, Range) and how it reads answers, errors and retries.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { createObjectReader, type GetObject } from './object-reader.ts';

interface Seen {
  path: string;
  headers: http.IncomingHttpHeaders;
}

let server: http.Server;
let endpoint: string;
const seen: Seen[] = [];
let answer: (request: http.IncomingMessage, response: http.ServerResponse) => void = () => undefined;

beforeAll(async () => {
  server = http.createServer((request, response) => {
    seen.push({ path: request.url ?? '', headers: request.headers });
    answer(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function reader(extra: { forcePathStyle?: boolean; attempts?: number } = {}): GetObject {
  return createObjectReader(
    { endpoint, region: 'us-east-1', forcePathStyle: extra.forcePathStyle ?? true, credentialsEnvPrefix: 'T_' },
    { env: { T_ACCESS_KEY_ID: 'AKID', T_SECRET_ACCESS_KEY: 'secret' }, ...(extra.attempts ? { attempts: extra.attempts } : {}) },
  );
}

async function bodyOf(response: { body: AsyncIterable<Buffer> }): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response.body) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

describe('createObjectReader', () => {
  it('GETs the escaped key, signed, with If-Match and Range, and reads headers and metadata', async () => {
    seen.length = 0;
    answer = (_request, response) => {
      response.writeHead(206, {
        etag: '"abc"',
        'last-modified': 'Wed, 01 Jan 2025 00:00:00 GMT',
        'content-type': 'text/plain',
        'cache-control': 'no-cache',
        'x-amz-meta-owner': 'team-42',
        'x-amz-meta-blank': '',
      });
      response.end('0123456789');
    };
    const response = await reader()({ bucket: 'b', key: 'dir/a b+c/../x', ifMatch: '"abc"', range: { start: 10, end: 19 } });
    expect(await bodyOf(response)).toBe('0123456789');
    expect(response).toMatchObject({ etag: '"abc"', contentType: 'text/plain', cacheControl: 'no-cache', metadata: { owner: 'team-42', blank: '' } });
    expect(response.lastModified?.toISOString()).toBe('2025-01-01T00:00:00.000Z');
    expect(seen[0]?.path).toBe('/b/dir/a%20b%2Bc/../x');
    expect(seen[0]?.headers).toMatchObject({ 'if-match': '"abc"', range: 'bytes=10-19', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' });
    expect(seen[0]?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/us-east-1\/s3\/aws4_request, SignedHeaders=host;if-match;range;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/);
  });

  it('keeps path style for an IP-address endpoint even when virtual-hosted style is asked for', async () => {
    seen.length = 0;
    answer = (_request, response) => response.end('ok');
    await bodyOf(await reader({ forcePathStyle: false })({ bucket: 'bkt', key: 'k' }));
    expect(seen[0]?.path).toBe('/bkt/k');
    expect(seen[0]?.headers.host).toBe(new URL(endpoint).host);
  });

  it.each([
    [404, '<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>', 'NoSuchKey'],
    [412, '<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>', 'PreconditionFailed'],
    [403, '<Error><Code>SignatureDoesNotMatch</Code><Message>no</Message></Error>', 'SignatureDoesNotMatch'],
    [404, '', 'NotFound'],
  ])('turns HTTP %i into an error named like the SDK names it', async (status, xml, name) => {
    answer = (_request, response) => {
      response.writeHead(status, { 'content-type': 'application/xml' });
      response.end(xml);
    };
    await expect(reader()({ bucket: 'b', key: 'k' })).rejects.toMatchObject({ name, $metadata: { httpStatusCode: status } });
  });

  it('retries 503 SlowDown and 500 before giving up', async () => {
    let calls = 0;
    answer = (_request, response) => {
      calls += 1;
      if (calls < 3) {
        response.writeHead(calls === 1 ? 503 : 500);
        response.end(calls === 1 ? '<Error><Code>SlowDown</Code></Error>' : '');
        return;
      }
      response.end('third time');
    };
    expect(await bodyOf(await reader()({ bucket: 'b', key: 'k' }))).toBe('third time');
    expect(calls).toBe(3);

    calls = 0;
    answer = (_request, response) => {
      calls += 1;
      response.writeHead(503);
      response.end();
    };
    await expect(reader({ attempts: 2 })({ bucket: 'b', key: 'k' })).rejects.toMatchObject({ $metadata: { httpStatusCode: 503 } });
    expect(calls).toBe(2);
  });

  it('fails with a network code when nothing listens', async () => {
    const dead = createObjectReader(
      { endpoint: 'http://127.0.0.1:1', region: 'us-east-1', forcePathStyle: true, credentialsEnvPrefix: 'T_' },
      { env: { T_ACCESS_KEY_ID: 'AKID', T_SECRET_ACCESS_KEY: 'secret' }, attempts: 1 },
    );
    await expect(dead({ bucket: 'b', key: 'k' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('streams a body larger than it buffers to a slow reader, and lets a reader stop early', async () => {
    const big = Buffer.alloc(8 * 1024 * 1024, 'lifeboat ');
    answer = (_request, response) => response.end(big);
    const chunks: Buffer[] = [];
    for await (const chunk of (await reader()({ bucket: 'b', key: 'big' })).body) {
      chunks.push(chunk);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(Buffer.concat(chunks).equals(big)).toBe(true);

    for await (const chunk of (await reader()({ bucket: 'b', key: 'big' })).body) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    answer = (_request, response) => response.end('after');
    expect(await bodyOf(await reader()({ bucket: 'b', key: 'k' }))).toBe('after');
  });
});

describe('createObjectReader, whole bodies (read into one buffer of their size)', () => {
  it('sends the same signed GET and returns the body as one chunk, the headers as a streamed GET does', async () => {
    seen.length = 0;
    const body = Buffer.from(Array.from({ length: 3 * 1024 * 1024 + 7 }, (_, i) => (i * 31) % 256));
    answer = (_request, response) => {
      response.writeHead(206, { etag: '"abc"', 'content-type': 'text/plain', 'x-amz-meta-owner': 'team-42', 'content-length': body.length });
      // In pieces, so the head and the body's first bytes share reads and the rest arrive later.
      response.write(body.subarray(0, 100));
      setTimeout(() => response.end(body.subarray(100)), 20);
    };
    const response = await reader()({ bucket: 'b', key: 'dir/a b', ifMatch: '"abc"', range: { start: 0, end: body.length - 1 }, whole: true });
    const chunks: Buffer[] = [];
    for await (const chunk of response.body) chunks.push(chunk);
    expect(chunks).toHaveLength(1);
    expect((chunks[0] as Buffer).equals(body)).toBe(true);
    expect(response).toMatchObject({ etag: '"abc"', contentType: 'text/plain', metadata: { owner: 'team-42' } });
    expect(seen[0]?.path).toBe('/b/dir/a%20b');
    expect(seen[0]?.headers).toMatchObject({ 'if-match': '"abc"', range: `bytes=0-${body.length - 1}`, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' });
    expect(seen[0]?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKID\//);
  });

  it('reuses a connection for the next GET, and reads empty, chunked and connection-framed bodies', async () => {
    const ports = new Set<number>();
    answer = (request, response) => {
      ports.add(request.socket.remotePort ?? 0);
      if (request.url?.endsWith('/empty')) response.writeHead(200, { 'content-length': 0 }).end();
      else if (request.url?.endsWith('/chunked')) {
        response.writeHead(200); // no length: node:http sends it chunked
        response.write('first ');
        setTimeout(() => response.end('second'), 10);
      } else response.writeHead(200, { 'content-length': 5 }).end('hello');
    };
    const get = reader();
    expect(await bodyOf(await get({ bucket: 'b', key: 'one', whole: true }))).toBe('hello');
    expect(await bodyOf(await get({ bucket: 'b', key: 'two', whole: true }))).toBe('hello');
    expect(ports.size).toBe(1);
    expect(await bodyOf(await get({ bucket: 'b', key: 'empty', whole: true }))).toBe('');
    expect(await bodyOf(await get({ bucket: 'b', key: 'chunked', whole: true }))).toBe('first second');

    const raw = net.createServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the end'));
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    try {
      const closing = createObjectReader(
        { endpoint: `http://127.0.0.1:${(raw.address() as AddressInfo).port}`, region: 'us-east-1', forcePathStyle: true, credentialsEnvPrefix: 'T_' },
        { env: { T_ACCESS_KEY_ID: 'AKID', T_SECRET_ACCESS_KEY: 'secret' } },
      );
      expect(await bodyOf(await closing({ bucket: 'b', key: 'k', whole: true }))).toBe('until the end');
    } finally {
      raw.close();
    }
  });

  it('reads S3 errors, retries 503 and a connection the server dropped, and fails a body cut short', async () => {
    let calls = 0;
    answer = (_request, response) => {
      calls += 1;
      if (calls === 1) {
        response.socket?.destroy();
        return;
      }
      if (calls === 2) {
        response.writeHead(503).end('<Error><Code>SlowDown</Code></Error>');
        return;
      }
      response.writeHead(200, { 'content-length': 4 }).end('fine');
    };
    expect(await bodyOf(await reader()({ bucket: 'b', key: 'k', whole: true }))).toBe('fine');
    expect(calls).toBe(3);

    answer = (_request, response) => response.writeHead(412).end('<Error><Code>PreconditionFailed</Code><Message>changed</Message></Error>');
    await expect(reader()({ bucket: 'b', key: 'k', whole: true })).rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });

    answer = (_request, response) => {
      response.writeHead(200, { 'content-length': 1000 });
      response.write('only part of it');
      setTimeout(() => response.socket?.destroy(), 10);
    };
    await expect(reader({ attempts: 1 })({ bucket: 'b', key: 'k', whole: true })).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('gives up on a silent server with ETIMEDOUT, and stops when its signal fires', async () => {
    answer = () => undefined; // never answers
    const silent = createObjectReader(
      { endpoint, region: 'us-east-1', forcePathStyle: true, credentialsEnvPrefix: 'T_' },
      { env: { T_ACCESS_KEY_ID: 'AKID', T_SECRET_ACCESS_KEY: 'secret' }, attempts: 1, idleTimeoutMs: 100 },
    );
    await expect(silent({ bucket: 'b', key: 'k', whole: true })).rejects.toMatchObject({ code: 'ETIMEDOUT' });

    const stop = new AbortController();
    const pending = reader()({ bucket: 'b', key: 'k', whole: true, signal: stop.signal });
    setTimeout(() => stop.abort(new Error('stopped by the test')), 20);
    await expect(pending).rejects.toThrow('stopped by the test');
    server.closeAllConnections();
  });

  it('fails with a network code when nothing listens', async () => {
    const dead = createObjectReader(
      { endpoint: 'http://127.0.0.1:1', region: 'us-east-1', forcePathStyle: true, credentialsEnvPrefix: 'T_' },
      { env: { T_ACCESS_KEY_ID: 'AKID', T_SECRET_ACCESS_KEY: 'secret' }, attempts: 1 },
    );
    await expect(dead({ bucket: 'b', key: 'k', whole: true })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
