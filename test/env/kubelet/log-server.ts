// Serves container logs to the API server (`kubectl logs`): HTTPS on 127.0.0.1, the port
// published in node.status.daemonEndpoints. GET /containerLogs/{namespace}/{pod}/{container}
// with tailLines, limitBytes, previous and follow. No authentication or authorization: it only
// listens on loopback, and only the test API server calls it. Other kubelet endpoints (exec,
// attach, port-forward, stats) answer 404.
import { type FileHandle, open } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ServingCertificate } from './tls.ts';

export interface LogSource {
  containerLog(
    namespace: string,
    pod: string,
    container: string,
    previous: boolean,
  ): { file: string; live(): boolean } | undefined;
}

const followPollMs = 250;
const maxTailScanBytes = 16 * 1024 * 1024;

export async function startLogServer(options: {
  tls: ServingCertificate;
  logs: LogSource;
  log: Logger;
  port?: number;
}): Promise<{ port: number; close(): Promise<void> }> {
  const closing = new AbortController();
  const server: Server = createServer({ cert: options.tls.cert, key: options.tls.key }, (request, response) => {
    handle(request, response, options.logs, closing.signal).catch((error: unknown) => {
      options.log.warn({ err: error, url: request.url }, 'serving logs failed');
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    close: async () => {
      closing.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function handle(request: IncomingMessage, response: ServerResponse, logs: LogSource, closing: AbortSignal) {
  const url = new URL(request.url ?? '/', 'https://kubelet');
  if (url.pathname === '/healthz') return text(response, 200, 'ok');
  const match = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
  if (request.method !== 'GET' || !match) return text(response, 404, 'not found (the process kubelet serves /containerLogs only)');
  const [namespace, pod, container] = match.slice(1).map(decodeURIComponent) as [string, string, string];
  const query = url.searchParams;
  const log = logs.containerLog(namespace, pod, container, query.get('previous') === 'true');
  if (!log) return text(response, 404, `no logs for container "${container}" of pod "${namespace}/${pod}" on this node`);

  const handle = await open(log.file, 'r').catch(() => undefined);
  if (!handle) return text(response, 404, `container "${container}" in pod "${pod}" has not started yet`);
  try {
    const limitBytes = positiveInt(query.get('limitBytes')) ?? Number.POSITIVE_INFINITY;
    let sent = 0;
    const send = (chunk: Buffer) => {
      const part = chunk.subarray(0, Math.max(0, limitBytes - sent));
      sent += part.length;
      if (part.length > 0) response.write(part);
      return sent < limitBytes;
    };
    response.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });

    let position = await startPosition(handle, positiveIntOrZero(query.get('tailLines')));
    position = await copyFrom(handle, position, send);
    if (query.get('follow') === 'true') {
      let gone = false;
      response.once('close', () => {
        gone = true;
      });
      while (!gone && !closing.aborted && sent < limitBytes) {
        const live = log.live();
        position = await copyFrom(handle, position, send);
        if (!live) break;
        await sleep(followPollMs);
      }
    }
    response.end();
  } finally {
    await handle.close();
  }
}

/** Where to start so that only the last `tailLines` lines are sent (undefined: everything). */
async function startPosition(handle: FileHandle, tailLines: number | undefined): Promise<number> {
  if (tailLines === undefined) return 0;
  const { size } = await handle.stat();
  const scan = Math.min(size, maxTailScanBytes);
  const buffer = Buffer.alloc(scan);
  await handle.read(buffer, 0, scan, size - scan);
  // A final newline ends the last line; it does not start another one.
  let end = buffer.length;
  if (end > 0 && buffer[end - 1] === 0x0a) end--;
  let newlines = 0;
  for (let i = end - 1; i >= 0; i--) {
    if (buffer[i] === 0x0a && ++newlines === tailLines) return size - scan + i + 1;
  }
  return tailLines === 0 ? size : size - scan;
}

async function copyFrom(
  handle: FileHandle,
  position: number,
  send: (chunk: Buffer) => boolean,
): Promise<number> {
  const buffer = Buffer.alloc(64 * 1024);
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) return position;
    position += bytesRead;
    if (!send(Buffer.from(buffer.subarray(0, bytesRead)))) return position;
  }
}

function positiveInt(value: string | null): number | undefined {
  const parsed = Number(value);
  return value !== null && Number.isInteger(parsed) && parsed > 0 ? parsed : undefined;
}

function positiveIntOrZero(value: string | null): number | undefined {
  const parsed = Number(value);
  return value !== null && Number.isInteger(parsed) && parsed >= 0 ? parsed : undefined;
}

function text(response: ServerResponse, status: number, body: string) {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  response.end(`${body}\n`);
}
