// A controller's whole surroundings for a unit test, in memory: the MemoryKubeClient as the API
// server, shared informers fed from it (through its listWatch, the same path KubeClient serves
// them), an EventRecorder that writes through it, and a frozen clock. Any controller reads it as
// its ControllerContext; src/kube/testing/README.md shows a test.
import pino from 'pino';
import { EventRecorder } from '../../kube/events.ts';
import { MemoryKubeClient, type RecordedWrite } from '../../kube/testing/memory-client.ts';
import type { ControllerContext } from '../controller-setup.ts';
import type { ReconcileRequest, ReconcileResult } from '../controller.ts';
import type { OperatorConfig } from '../config.ts';
import { InformerFactory } from '../informer-factory.ts';
import { createRuntimeMetrics } from '../metrics.ts';
import { objectKey } from '../object-key.ts';
import { FakeClock, settle } from './fake-clock.ts';

export interface MemoryCluster {
  client: MemoryKubeClient;
  clock: FakeClock;
  /** Ask it for informers (directly or through the controller's own helper) before sync(). */
  informers: InformerFactory;
  context: ControllerContext;
  /** Starts the informers and resolves once each has listed and its watch is open. */
  sync(): Promise<void>;
  stop(): Promise<void>;
  /** A request for one key, as the work queue hands it to a reconciler. */
  request(namespace: string | undefined, name: string): ReconcileRequest;
}

export interface MemoryClusterOptions {
  /** The frozen clock's start. */
  now?: number | Date;
  config?: Partial<OperatorConfig>;
}

export const TEST_CONFIG: OperatorConfig = {
  watchNamespaces: 'all',
  workers: 1,
  resyncPeriodMs: 0,
  leaderElection: {
    enabled: false,
    leaseName: 'lifeboat',
    leaseNamespace: 'lifeboat-system',
    identity: 'test',
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
  },
  http: { host: '127.0.0.1', port: 0 },
  logLevel: 'silent',
  runnerImage: 'ghcr.io/lifeboat/lifeboat-runner:test',
  shutdownTimeoutMs: 1_000,
};

export function memoryCluster(options: MemoryClusterOptions = {}): MemoryCluster {
  const clock = new FakeClock(options.now);
  const client = new MemoryKubeClient({ clock });
  const logger = pino({ level: 'silent' });
  const config = { ...TEST_CONFIG, ...options.config };
  const informers = new InformerFactory({ client, namespaces: config.watchNamespaces, resyncPeriodMs: 0, logger, clock });
  // Events are writes through the client like any other; no deduplication, so an event a pass
  // repeats shows up in client.writes instead of being swallowed.
  const events = new EventRecorder(client, { controller: 'lifeboat.dev/operator', instance: 'test', logger, dedupWindowMs: 0, now: () => clock.now() });
  const context: ControllerContext = { config, client, informers, events, metrics: createRuntimeMetrics(), logger, clock };
  const signal = new AbortController().signal;
  return {
    client,
    clock,
    informers,
    context,
    async sync() {
      informers.start();
      await informers.waitForSync();
      // waitForSync resolves after the lists; the watches open a few promise turns later.
      await settle();
    },
    stop: () => informers.stop(),
    request: (namespace, name) => ({ key: objectKey(namespace, name), namespace, name, log: logger, signal, failures: 0 }),
  };
}

export interface QuietPass {
  /** Passes it took, the quiet one included. */
  passes: number;
  /** Writes of the passes before the quiet one. */
  writes: RecordedWrite[];
  result: ReconcileResult;
}

/**
 * Reconciles until a pass writes nothing (the informers see each write at once, so every pass
 * reads what the one before it wrote). Fails if that takes more than `maxPasses`.
 */
export async function reconcileUntilQuiet(client: MemoryKubeClient, pass: () => Promise<ReconcileResult>, maxPasses = 5): Promise<QuietPass> {
  const start = client.writes.length;
  for (let passes = 1; passes <= maxPasses; passes++) {
    const before = client.writes.length;
    const result = await pass();
    if (client.writes.length === before) return { passes, writes: client.writes.slice(start), result };
  }
  const last = client.writes.slice(start).map((write) => `${write.method} ${write.type.kind} ${write.name} (${write.outcome})`);
  throw new Error(`still writing after ${maxPasses} passes: ${last.join(', ')}`);
}
