// GETs whose whole body the caller holds in memory anyway (a bucket backup's objects and
// ranges, at most a few MiB each), read by the kernel straight into one buffer of the body's
// size (net.Socket's `onread`, which asks for the buffer of each read). undici reads every
// socket into a fresh 64 KiB buffer, copies it into its parser's WebAssembly memory, and leaves
// the buffer for the collector: 1 GiB in 2 MiB ranges from a local server cost 2.2 CPU s that
// way and 1.4-1.7 s this way. Bodies of unknown size (streams of whole artifacts) stay with
// undici; see docs/adr/0006-runner-object-gets-without-the-sdk.md.
//
// Plain HTTP/1.1 on keep-alive connections, over TCP or TLS: a status line, headers, and a body
// framed by Content-Length, chunked transfer coding or the end of the connection. A connection
// is reused only after a response read to its exact end.
import net from 'node:net';
import tls from 'node:tls';

export interface WholeGetTarget {
  protocol: 'http:' | 'https:';
  hostname: string;
  port: number;
}

export interface WholeAnswer {
  status: number;
  /** Names in lowercase; a repeated header's values joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

export interface WholeGetOptions {
  maxSockets: number;
  /** A connection silent this long while a response is awaited is dropped (ETIMEDOUT). */
  idleTimeoutMs: number;
  /** Certificate authorities to trust for https, instead of Node's own list (a private endpoint). */
  ca?: string | Buffer;
}

/** How long an unused connection is kept: less than the usual 5 s keep-alive of S3 servers. */
const KEEP_IDLE_MS = 4_000;
/** Response headers above this are refused (S3 sends a few KiB at most). */
const MAX_HEADER_BYTES = 64 * 1024;
/** Reads that land in a connection's own buffer: headers, chunked bodies, small bodies' first bytes. */
const SCRATCH_BYTES = 64 * 1024;

export class WholeGetClient {
  private readonly options: WholeGetOptions;
  private readonly idle = new Map<string, Connection[]>();
  private readonly waiting: (() => void)[] = [];
  private open = 0;

  constructor(options: WholeGetOptions) {
    this.options = options;
  }

  /** Sends `GET path` with these headers (host included) and reads the whole answer. */
  async get(target: WholeGetTarget, path: string, headers: Record<string, string>, signal?: AbortSignal): Promise<WholeAnswer> {
    signal?.throwIfAborted();
    const connection = await this.connection(target);
    try {
      return await connection.exchange(requestText(path, headers), signal);
    } finally {
      this.release(target, connection);
    }
  }

  private async connection(target: WholeGetTarget): Promise<Connection> {
    const id = targetId(target);
    for (;;) {
      const reusable = this.idle.get(id)?.pop();
      if (reusable) {
        if (reusable.usable) return reusable;
        continue;
      }
      if (this.open < this.options.maxSockets) break;
      // Every slot taken: an unused connection to another host (virtual-hosted buckets) gives
      // its slot up rather than idle out while this request waits.
      this.closeOneIdle();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.open += 1;
    return new Connection(target, this.options, () => this.forget(target));
  }

  private closeOneIdle(): void {
    for (const list of this.idle.values()) {
      const connection = list.pop();
      if (connection) {
        connection.close();
        return;
      }
    }
  }

  private release(target: WholeGetTarget, connection: Connection): void {
    if (connection.usable) {
      const id = targetId(target);
      const list = this.idle.get(id) ?? [];
      list.push(connection);
      this.idle.set(id, list);
      connection.park(KEEP_IDLE_MS);
    } else {
      connection.close();
    }
    this.waiting.shift()?.();
  }

  /** A connection closed: its slot is free, and it leaves the idle list if it was there. */
  private forget(target: WholeGetTarget): void {
    this.open -= 1;
    const id = targetId(target);
    const list = this.idle.get(id);
    if (list) this.idle.set(id, list.filter((connection) => connection.usable));
    this.waiting.shift()?.();
  }
}

function targetId(target: WholeGetTarget): string {
  return `${target.protocol}//${target.hostname}:${target.port}`;
}

function requestText(path: string, headers: Record<string, string>): string {
  let text = `GET ${path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new Error(`header ${JSON.stringify(name)} holds a line break`);
    text += `${name}: ${value}\r\n`;
  }
  return `${text}\r\n`;
}

type Framing = { kind: 'length'; body: Buffer; filled: number } | { kind: 'chunked'; chunked: ChunkedBody } | { kind: 'close'; parts: Buffer[] };

interface Exchange {
  resolve: (answer: WholeAnswer) => void;
  reject: (error: Error) => void;
  head: Buffer[];
  headBytes: number;
  status?: number;
  headers?: Record<string, string>;
  framing?: Framing;
  /** The server asked to close the connection after this answer. */
  closeAfter: boolean;
}

class Connection {
  private readonly socket: net.Socket;
  private readonly scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
  private readonly idleTimeoutMs: number;
  private current: Exchange | undefined;
  private connected: Promise<void>;
  private closed = false;
  private failure: Error | undefined;

  constructor(target: WholeGetTarget, options: WholeGetOptions, onClose: () => void) {
    this.idleTimeoutMs = options.idleTimeoutMs;
    const onread = { buffer: () => this.nextBuffer(), callback: (bytes: number, buffer: Uint8Array): boolean => {
        this.received(bytes, buffer);
        return true;
      },
    };
    const port = target.port;
    this.socket =
      target.protocol === 'https:'
        ? // tls.connect takes `onread` as net.connect does (Node's docs); its types do not say so.
          tls.connect({
            host: target.hostname,
            port,
            ...(net.isIP(target.hostname) ? {} : { servername: target.hostname }),
            ...(options.ca ? { ca: options.ca } : {}),
            ALPNProtocols: ['http/1.1'],
            onread,
          } as tls.ConnectionOptions)
        : net.connect({ host: target.hostname, port, onread });
    this.socket.setNoDelay(true);
    this.connected = new Promise((resolve, reject) => {
      this.socket.once(target.protocol === 'https:' ? 'secureConnect' : 'connect', () => resolve());
      this.socket.once('error', reject);
    });
    this.connected.catch(() => undefined);
    this.socket.on('error', (error) => this.fail(error));
    this.socket.on('end', () => this.ended());
    // While an answer is awaited, silence is an error; while parked, it ends the connection.
    this.socket.on('timeout', () =>
      this.socket.destroy(
        this.current ? Object.assign(new Error(`no answer from ${target.hostname} for ${this.idleTimeoutMs} ms`), { code: 'ETIMEDOUT' }) : undefined,
      ),
    );
    this.socket.on('close', () => {
      this.closed = true;
      this.fail(closedError());
      onClose();
    });
  }

  /** Open, and not in the middle of an answer. */
  get usable(): boolean {
    return !this.closed && this.failure === undefined && this.current === undefined;
  }

  async exchange(request: string, signal?: AbortSignal): Promise<WholeAnswer> {
    await this.connected;
    if (this.failure) throw this.failure;
    this.socket.setTimeout(this.idleTimeoutMs);
    this.socket.ref();
    const onAbort = (): void => {
      this.socket.destroy(signal?.reason instanceof Error ? signal.reason : new Error('request aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await new Promise<WholeAnswer>((resolve, reject) => {
        this.current = { resolve, reject, head: [], headBytes: 0, closeAfter: false };
        this.socket.write(request, 'latin1');
      });
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Waits unused: no timeout error, and the process may exit; dropped after `ms`. */
  park(ms: number): void {
    this.socket.setTimeout(ms);
    this.socket.unref();
  }

  close(): void {
    this.socket.destroy();
  }

  /** Where the next read lands: straight into the body once its size is known, else scratch. */
  private nextBuffer(): Uint8Array {
    const framing = this.current?.framing;
    if (framing?.kind === 'length' && framing.filled < framing.body.length) return framing.body.subarray(framing.filled);
    return this.scratch;
  }

  private received(bytes: number, buffer: Uint8Array): void {
    const exchange = this.current;
    if (!exchange) {
      this.socket.destroy(new Error('the S3 server sent bytes nobody asked for'));
      return;
    }
    try {
      if (buffer !== this.scratch) {
        const framing = exchange.framing;
        if (framing?.kind !== 'length' || buffer.buffer !== framing.body.buffer || buffer.byteOffset !== framing.body.byteOffset + framing.filled) {
          throw new Error('internal error: a read landed outside the body it was meant for');
        }
        framing.filled += bytes;
        this.finishIfComplete(exchange);
        return;
      }
      let data: Buffer = this.scratch.subarray(0, bytes);
      if (!exchange.framing) {
        const rest = this.readHead(exchange, data);
        if (rest === undefined) return;
        data = rest;
      }
      this.readBody(exchange, data);
    } catch (error) {
      this.socket.destroy(error as Error);
    }
  }

  /** Collects the head; once complete, sets the framing and returns the bytes after it. */
  private readHead(exchange: Exchange, data: Buffer): Buffer | undefined {
    exchange.head.push(Buffer.from(data));
    exchange.headBytes += data.length;
    const head = exchange.head.length === 1 ? (exchange.head[0] as Buffer) : Buffer.concat(exchange.head);
    exchange.head = [head];
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) {
      if (exchange.headBytes > MAX_HEADER_BYTES) throw new Error(`the S3 server sent more than ${MAX_HEADER_BYTES} bytes of headers`);
      return undefined;
    }
    const lines = head.toString('latin1', 0, end).split('\r\n');
    const statusLine = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
    if (!statusLine) throw new Error(`the S3 server answered with ${JSON.stringify((lines[0] ?? '').slice(0, 80))}, not HTTP/1.1`);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`malformed response header ${JSON.stringify(line.slice(0, 80))}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    const status = Number(statusLine[2]);
    if (status >= 100 && status < 200) {
      // An interim answer (100 Continue): the real one follows.
      exchange.head = [];
      exchange.headBytes = 0;
      return this.readHead(exchange, head.subarray(end + 4));
    }
    exchange.status = status;
    exchange.headers = headers;
    const connection = (headers.connection ?? '').toLowerCase();
    exchange.closeAfter = connection.includes('close') || (statusLine[1] === '0' && !connection.includes('keep-alive'));
    const length = headers['content-length'];
    if ((headers['transfer-encoding'] ?? '').toLowerCase().includes('chunked')) {
      exchange.framing = { kind: 'chunked', chunked: new ChunkedBody() };
    } else if (length !== undefined) {
      if (!/^\d+$/.test(length)) throw new Error(`the S3 server sent Content-Length ${JSON.stringify(length)}`);
      exchange.framing = { kind: 'length', body: Buffer.allocUnsafe(Number(length)), filled: 0 };
    } else {
      exchange.closeAfter = true;
      exchange.framing = { kind: 'close', parts: [] };
    }
    return head.subarray(end + 4);
  }

  private readBody(exchange: Exchange, data: Buffer): void {
    const framing = exchange.framing as Framing;
    if (framing.kind === 'length') {
      if (data.length > framing.body.length - framing.filled) throw new Error('the S3 server sent more bytes than its Content-Length');
      data.copy(framing.body, framing.filled);
      framing.filled += data.length;
    } else if (framing.kind === 'chunked') {
      if (framing.chunked.push(data) > 0) throw new Error('the S3 server sent bytes after the end of a chunked body');
    } else {
      framing.parts.push(Buffer.from(data));
    }
    this.finishIfComplete(exchange);
  }

  private finishIfComplete(exchange: Exchange): void {
    const framing = exchange.framing as Framing;
    let body: Buffer;
    if (framing.kind === 'length' && framing.filled === framing.body.length) body = framing.body;
    else if (framing.kind === 'chunked' && framing.chunked.done) body = framing.chunked.body();
    else return;
    this.complete(exchange, body);
  }

  private complete(exchange: Exchange, body: Buffer): void {
    this.current = undefined;
    // Not reused: the server closes it after this answer.
    if (exchange.closeAfter) this.failure ??= closedError();
    this.socket.setTimeout(0);
    exchange.resolve({ status: exchange.status as number, headers: exchange.headers as Record<string, string>, body });
    if (exchange.closeAfter) this.socket.destroy();
  }

  /** The server closed its side: the end of a body framed that way, else an error. */
  private ended(): void {
    const exchange = this.current;
    if (exchange?.framing?.kind === 'close') {
      this.complete(exchange, Buffer.concat(exchange.framing.parts));
      return;
    }
    this.fail(closedError());
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const exchange = this.current;
    if (!exchange) return;
    this.current = undefined;
    exchange.reject(error);
  }
}

function closedError(): Error {
  return Object.assign(new Error('the S3 server closed the connection'), { code: 'ECONNRESET' });
}

/** Decodes `Transfer-Encoding: chunked` (RFC 9112 7.1): sizes in hex, extensions and trailers ignored. */
class ChunkedBody {
  done = false;
  private readonly parts: Buffer[] = [];
  private line = '';
  private left = 0;
  private state: 'size' | 'data' | 'dataEnd' | 'trailer' = 'size';

  /** Takes the next bytes; returns how many came after the body's end. */
  push(data: Buffer): number {
    let at = 0;
    while (at < data.length && !this.done) {
      if (this.state === 'data') {
        const take = Math.min(this.left, data.length - at);
        this.parts.push(Buffer.from(data.subarray(at, at + take)));
        this.left -= take;
        at += take;
        if (this.left === 0) this.state = 'dataEnd';
        continue;
      }
      const newline = data.indexOf(10, at);
      const end = newline < 0 ? data.length : newline;
      this.line += data.toString('latin1', at, end);
      at = newline < 0 ? data.length : newline + 1;
      if (newline < 0) {
        if (this.line.length > 4096) throw new Error('malformed chunked body');
        continue;
      }
      const line = this.line.replace(/\r$/, '');
      this.line = '';
      if (this.state === 'dataEnd') {
        if (line !== '') throw new Error('malformed chunked body');
        this.state = 'size';
      } else if (this.state === 'size') {
        const size = /^([0-9a-fA-F]+)/.exec(line)?.[1];
        if (size === undefined) throw new Error('malformed chunked body');
        this.left = parseInt(size, 16);
        this.state = this.left === 0 ? 'trailer' : 'data';
      } else if (line === '') {
        this.done = true;
      }
    }
    return data.length - at;
  }

  body(): Buffer {
    return Buffer.concat(this.parts);
  }
}
