// Health probes over HTTP(S): true when the endpoint answers 200.
import http from 'node:http';
import https from 'node:https';

export interface TlsClient {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** The control-plane components serve self-signed certificates on their health ports. */
  insecure?: boolean;
}

export function httpOk(url: string, tls: TlsClient = {}): Promise<boolean> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const options =
      u.protocol === 'https:'
        ? { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: !tls.insecure, timeout: 2000 }
        : { timeout: 2000 };
    const req = (u.protocol === 'https:' ? https : http).get(u, options, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}
