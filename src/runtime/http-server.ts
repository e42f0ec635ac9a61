// /healthz (the process answers), /readyz (named checks, all must pass) and /metrics
// (Prometheus text format) on one small HTTP server.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export interface ReadinessCheck {
  /** Shown in the /readyz body: "informers-synced". */
  name: string;
  /** True when ready; a string explains why not. */
  check: () => boolean | string;
}

export interface HttpServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  registry: Registry;
  readiness: ReadinessCheck[];
  logger: Logger;
}

export interface RunningHttpServer {
  /** "http://127.0.0.1:8080" */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const server = createServer((request, response) => {
    void route(options, request, response).catch((error: unknown) => {
      options.logger.error({ err: error, path: request.url }, 'HTTP handler failed');
      if (!response.headersSent) send(response, 500, 'internal error\n');
      else response.destroy();
    });
  });
  // Probes and scrapes are short: do not let an idle keep-alive connection hold up close().
  server.keepAliveTimeout = 5_000;
  await listen(server, options.port, options.host);
  const { port } = server.address() as AddressInfo;
  const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  options.logger.info({ port, host: options.host }, 'serving /healthz, /readyz and /metrics');
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

async function route(options: HttpServerOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'method not allowed\n');
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  switch (path) {
    case '/healthz':
    case '/livez':
      return send(response, 200, 'ok\n');
    case '/readyz': {
      const results = options.readiness.map(({ name, check }) => {
        let outcome: boolean | string;
        try {
          outcome = check();
        } catch (error) {
          outcome = error instanceof Error ? error.message : String(error);
        }
        return { name, ok: outcome === true, why: typeof outcome === 'string' ? outcome : 'not ready' };
      });
      const ready = results.every((result) => result.ok);
      const body = results.map((result) => (result.ok ? `[+]${result.name} ok` : `[-]${result.name} failed: ${result.why}`)).join('\n');
      return send(response, ready ? 200 : 503, `${body}${body ? '\n' : ''}readyz check ${ready ? 'passed' : 'failed'}\n`);
    }
    case '/metrics': {
      const text = await options.registry.metrics();
      return send(response, 200, text, options.registry.contentType);
    }
    default:
      return send(response, 404, 'not found\n');
  }
}

function send(response: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  response.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
