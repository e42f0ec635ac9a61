// KubeClient's connections: one pool, on HTTP/1.1 even when the server offers HTTP/2 (see
// KubeClient#pool for why), with the kubeconfig's TLS settings and credentials.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { KubeClient } from './client.ts';
import { CONFIG_MAPS } from './resource-type.ts';

const fixture = (name: string): Buffer => readFileSync(new URL(`./testing/${name}`, import.meta.url));

describe('KubeClient connections', () => {
  let server: Http2SecureServer;
  let url: string;
  const seen: { httpVersion: string; authorization?: string; remotePort?: number }[] = [];

  beforeAll(async () => {
    // A server that prefers HTTP/2 and also speaks HTTP/1.1, as kube-apiserver does.
    server = createSecureServer({ key: fixture('localhost.key'), cert: fixture('localhost.crt'), allowHTTP1: true }, (req, res) => {
      seen.push({ httpVersion: req.httpVersion, authorization: req.headers.authorization, remotePort: req.socket.remotePort });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one', namespace: 'team' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('speaks HTTP/1.1, trusts the kubeconfig CA, sends its token, and reuses its connections', async () => {
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: 'c', server: url, caData: fixture('localhost.crt').toString('base64') }],
      users: [{ name: 'u', token: 'secret-token' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const client = new KubeClient(config);
    for (let i = 0; i < 6; i++) {
      const got = await client.get(CONFIG_MAPS, 'team', 'one');
      expect(got.metadata.name).toBe('one');
    }
    await client.close();

    expect(seen.map((request) => request.httpVersion)).toEqual(Array(6).fill('1.1'));
    expect(seen.every((request) => request.authorization === 'Bearer secret-token')).toBe(true);
    // A connection goes back to the pool a moment after its body is read, so a request sent right
    // after may open a second one; a pool per request (client-node's way) would open six.
    expect(new Set(seen.map((request) => request.remotePort)).size).toBeLessThanOrEqual(2);
  });
});
