// The whole-body GET client on its own: over TLS (what AWS S3 speaks), and sharing its sockets
// between hosts (virtual-hosted buckets are one host each). The HTTP/1.1 reading itself is
// covered through createObjectReader in object-reader.test.ts.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { WholeGetClient } from './whole-get.ts';

const fixture = (name: string): Buffer => readFileSync(new URL(`../kube/testing/${name}`, import.meta.url));

let secure: https.Server;
let plain: http.Server;
const body = Buffer.from(Array.from({ length: 1024 * 1024 + 3 }, (_, i) => (i * 7) % 256));

beforeAll(async () => {
  const answer = (request: http.IncomingMessage, response: http.ServerResponse) => {
    response.writeHead(200, { 'content-length': body.length, 'x-path': request.url ?? '' });
    response.end(body);
  };
  secure = https.createServer({ key: fixture('localhost.key'), cert: fixture('localhost.crt') }, answer);
  plain = http.createServer(answer);
  await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  for (const server of [secure, plain]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const port = (server: http.Server | https.Server) => (server.address() as AddressInfo).port;

describe('WholeGetClient', () => {
  it('reads a body over TLS, checking the certificate against the CA it was given', async () => {
    const client = new WholeGetClient({ maxSockets: 4, idleTimeoutMs: 5_000, ca: fixture('localhost.crt') });
    const answer = await client.get({ protocol: 'https:', hostname: 'localhost', port: port(secure) }, '/b/k', { host: 'localhost' });
    expect(answer.status).toBe(200);
    expect(answer.headers['x-path']).toBe('/b/k');
    expect(answer.body.equals(body)).toBe(true);

    const untrusting = new WholeGetClient({ maxSockets: 4, idleTimeoutMs: 5_000 });
    await expect(untrusting.get({ protocol: 'https:', hostname: 'localhost', port: port(secure) }, '/b/k', { host: 'localhost' })).rejects.toMatchObject({
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
  });

  it('gives an unused connection to one host up when another host needs the last slot', async () => {
    const client = new WholeGetClient({ maxSockets: 1, idleTimeoutMs: 5_000 });
    const sockets: { closed: boolean }[] = [];
    const track = (socket: Socket) => {
      const entry = { closed: false };
      sockets.push(entry);
      socket.on('close', () => (entry.closed = true));
    };
    plain.on('connection', track);
    const started = performance.now();
    const first = await client.get({ protocol: 'http:', hostname: '127.0.0.1', port: port(plain) }, '/one', { host: 'a' });
    // Another name of the same server: another host to the client, as bucket-a.s3 and bucket-b.s3 are.
    const second = await client.get({ protocol: 'http:', hostname: 'localhost', port: port(plain) }, '/two', { host: 'b' });
    plain.off('connection', track);
    expect([first.headers['x-path'], second.headers['x-path']]).toEqual(['/one', '/two']);
    // The first host's connection was closed for the second, not left to idle out: that takes 4 s.
    expect(sockets.map((socket) => socket.closed)).toEqual([true, false]);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
