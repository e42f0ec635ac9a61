// What a domain controller gets to build itself, and what it hands back: the contract between
// the runtime and src/controllers/*.
import type { Logger } from 'pino';
import type { KubeApi } from '../kube/kube-api.ts';
import type { EventRecorder } from '../kube/events.ts';
import type { Clock } from './clock.ts';
import type { OperatorConfig } from './config.ts';
import type { InformerFactory } from './informer-factory.ts';
import type { RuntimeMetrics } from './metrics.ts';
import type { ShutdownOutcome } from './work-queue.ts';

export interface ControllerContext {
  config: OperatorConfig;
  /** Reads, writes and status patches; the only way to the API server. */
  client: KubeApi;
  /** Shared caches: ask for the informers of the primary kind and of the children. */
  informers: InformerFactory;
  events: EventRecorder;
  /** Runtime metrics; register domain metrics in `metrics.registry`. */
  metrics: RuntimeMetrics;
  logger: Logger;
  clock: Clock;
}

/** What the operator starts when it leads and stops on shutdown (a Controller is one). */
export interface RunnableController {
  readonly name: string;
  readonly kind: string;
  start(): void;
  stop(timeoutMs: number): Promise<ShutdownOutcome>;
}

export type ControllerSetup = (context: ControllerContext) => RunnableController;
