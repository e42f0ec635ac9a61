// Shared helpers of the runtime's integration tests: a client for the test cluster, throwaway
// namespaces, a logger that keeps what it logged, and a TCP proxy that can cut the connection.
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import pino, { type Logger } from 'pino';
import { KubeClient } from '../../../src/kube/client.ts';
import { NAMESPACES } from '../../../src/kube/resource-type.ts';
import { testEnv } from '../../support/env.ts';
import { waitFor } from '../../support/wait.ts';

export function testClient(kubeconfig: KubeConfig = loadTestKubeConfig()): KubeClient {
  return new KubeClient(kubeconfig, { fieldManager: 'lifeboat-runtime-test', requestTimeoutMs: 10_000 });
}

export function loadTestKubeConfig(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(testEnv().kubeconfig);
  return config;
}

/** The test kubeconfig with its server replaced (same CA, same credentials). */
export function kubeConfigVia(serverUrl: string): KubeConfig {
  const original = loadTestKubeConfig();
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: original.clusters.map((cluster) => ({ ...cluster, server: serverUrl })),
    users: original.users,
    contexts: original.contexts,
    currentContext: original.currentContext,
  });
  return config;
}

export async function createNamespace(client: KubeClient, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await client.create(NAMESPACES, { metadata: { name, labels: { 'lifeboat.dev/test': 'runtime' } } });
  return name;
}

export async function deleteNamespace(client: KubeClient, name: string): Promise<void> {
  await client.delete(NAMESPACES, undefined, name).catch(() => undefined);
}

export interface LogRecord {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A pino logger that keeps its records in memory, for assertions on what was logged. */
export function memoryLogger(level: pino.Level = 'info'): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const destination = {
    write(line: string) {
      records.push(JSON.parse(line) as LogRecord);
    },
  };
  return { logger: pino({ level }, destination), records };
}

/** A TCP proxy to the API server whose connections a test can cut, and whose door it can shut. */
export class BreakableProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #refusing = false;
  connections = 0;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(target: URL): Promise<BreakableProxy> {
    const server = createServer();
    const proxy = new BreakableProxy(server);
    server.on('connection', (client) => proxy.#accept(client, target));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    const address = this.#server.address();
    if (!address || typeof address === 'string') throw new Error('proxy not listening');
    return address.port;
  }

  /** https://127.0.0.1:<port>: the API server's certificate names 127.0.0.1, so TLS still verifies. */
  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** Resets every open connection, as a dropped network would. */
  cutConnections(): void {
    for (const socket of this.#sockets) socket.resetAndDestroy();
    this.#sockets.clear();
  }

  /** While refusing, new connections are reset at once. */
  refuse(refusing: boolean): void {
    this.#refusing = refusing;
    if (refusing) this.cutConnections();
  }

  async close(): Promise<void> {
    this.cutConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket, target: URL): void {
    if (this.#refusing) {
      client.resetAndDestroy();
      return;
    }
    this.connections++;
    const upstream = connect(Number(target.port), target.hostname);
    this.#sockets.add(client);
    this.#sockets.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

export function apiServerUrl(): URL {
  const server = loadTestKubeConfig().getCurrentCluster()?.server;
  if (!server) throw new Error('test kubeconfig has no server');
  return new URL(server);
}

export { waitFor };
