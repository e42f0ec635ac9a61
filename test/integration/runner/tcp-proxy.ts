// A TCP proxy in front of the S3 server that can slow the upload down (so a test can act
// while it is in flight) and cut the connection for good (an S3 outage mid-upload).
import { createServer, connect, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface TcpProxy {
  endpoint: string;
  /** Bytes sent from clients to the server so far. */
  bytesUp(): number;
  /** Resolves once clients have sent at least this many bytes. */
  waitForBytesUp(count: number): Promise<void>;
  /** Drops every connection and stops listening: later connections are refused. */
  cut(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: string, options: { bytesPerSecondPerConnection?: number; cutAfterBytesUp?: number } = {}): Promise<TcpProxy> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  let total = 0;
  let cut = false;
  const waiters: { count: number; resolve: () => void }[] = [];

  const doCut = (): void => {
    if (cut) return;
    cut = true;
    server.close();
    for (const socket of sockets) socket.destroy();
  };

  const server: Server = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const server = connect(Number(upstream.port), upstream.hostname);
    sockets.add(client);
    sockets.add(server);
    const forget = (): void => {
      sockets.delete(client);
      sockets.delete(server);
      client.destroy();
      server.destroy();
    };
    client.on('close', forget).on('error', forget);
    server.on('close', forget).on('error', forget);
    server.pipe(client);
    client.on('data', (chunk: Buffer) => {
      total += chunk.length;
      for (const waiter of waiters.filter((w) => total >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      if (options.cutAfterBytesUp !== undefined && total >= options.cutAfterBytesUp) {
        doCut();
        return;
      }
      server.write(chunk);
      if (options.bytesPerSecondPerConnection) {
        client.pause();
        void sleep((chunk.length / options.bytesPerSecondPerConnection) * 1000).then(() => client.resume());
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    bytesUp: () => total,
    waitForBytesUp: (count) =>
      total >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve })),
    cut: doCut,
    close: async () => {
      doCut();
    },
  };
}
