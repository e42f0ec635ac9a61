// Shared informers: one list/watch per resource and label selector, however many controllers
// read it (the Job informer serves every controller that owns Jobs).
import type { Logger } from 'pino';
import type { KubeApi } from '../kube/kube-api.ts';
import { describeType, type ResourceType } from '../kube/resource-type.ts';
import type { KubeObject } from '../kube/types.ts';
import type { BackoffPolicy } from './backoff.ts';
import type { Clock } from './clock.ts';
import { Informer } from './informer.ts';

export type ListWatchProvider = Pick<KubeApi, 'listWatch'>;

export interface InformerFactoryOptions {
  client: ListWatchProvider;
  /** Namespaces to watch, or 'all'. Cluster-scoped kinds are always watched cluster-wide. */
  namespaces: 'all' | readonly string[];
  resyncPeriodMs: number;
  logger: Logger;
  clock?: Clock;
  backoff?: BackoffPolicy;
}

export class InformerFactory {
  readonly #options: InformerFactoryOptions;
  readonly #informers = new Map<string, Informer<KubeObject>>();
  #started = false;

  constructor(options: InformerFactoryOptions) {
    this.#options = options;
  }

  /** The shared informer for `type` (and `labelSelector`); created on first use. */
  informerFor<T extends KubeObject>(type: ResourceType, options: { labelSelector?: string } = {}): Informer<T> {
    const id = `${describeType(type)}?${options.labelSelector ?? ''}`;
    let informer = this.#informers.get(id);
    if (!informer) {
      const { client, namespaces } = this.#options;
      const scopes = !type.namespaced || namespaces === 'all' ? [undefined] : namespaces;
      informer = new Informer<KubeObject>({
        name: options.labelSelector ? `${describeType(type)} (${options.labelSelector})` : describeType(type),
        sources: scopes.map((namespace) => client.listWatch(type, { namespace, labelSelector: options.labelSelector })),
        resyncPeriodMs: this.#options.resyncPeriodMs,
        logger: this.#options.logger,
        clock: this.#options.clock,
        backoff: this.#options.backoff,
      });
      this.#informers.set(id, informer);
      if (this.#started) informer.start();
    }
    return informer as unknown as Informer<T>;
  }

  get informers(): Informer<KubeObject>[] {
    return [...this.#informers.values()];
  }

  get hasSynced(): boolean {
    return this.informers.every((informer) => informer.hasSynced);
  }

  start(): void {
    this.#started = true;
    for (const informer of this.#informers.values()) informer.start();
  }

  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all(this.informers.map((informer) => informer.waitForSync(signal)));
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((informer) => informer.stop()));
  }
}
