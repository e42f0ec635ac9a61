// For controller unit tests that need the watch lag of a real API server: the memory cluster
// delivers every write to the watches inside the write, so an informer is never behind. Here
// the informers read through a provider whose watch of a kind can be held: its events wait,
// in order, until the test releases them. A controller built on `context` runs with its work
// queue as in the operator; `passes` counts its reconciles per kind.
import type { ResourceType } from '../../kube/resource-type.ts';
import type { KubeObject, ListWatchSource, WatchEvent } from '../../kube/types.ts';
import type { ControllerContext } from '../../runtime/controller-setup.ts';
import { InformerFactory, type ListWatchProvider } from '../../runtime/informer-factory.ts';
import { settle } from '../../runtime/testing/fake-clock.ts';
import { memoryCluster, type MemoryCluster, type MemoryClusterOptions } from '../../runtime/testing/memory-cluster.ts';

export interface OperatorWithHeldWatches extends MemoryCluster {
  /** Events of this kind's watches wait from now on. */
  hold(type: ResourceType): void;
  /** Delivers the waiting events of this kind in order, lets the work they cause run, and stops holding. */
  release(type: ResourceType): Promise<void>;
  /** Reconciles so far, by kind. */
  passes(kind: string): number;
}

export function operatorWithHeldWatches(options: MemoryClusterOptions = {}): OperatorWithHeldWatches {
  const cluster = memoryCluster(options);
  const held = new Map<string, (() => void)[]>();
  const idOf = (type: ResourceType) => `${type.group}/${type.plural}`;
  const provider: ListWatchProvider = {
    listWatch<T extends KubeObject>(type: ResourceType, listOptions?: Parameters<ListWatchProvider['listWatch']>[1]): ListWatchSource<T> {
      const source = cluster.client.listWatch<T>(type, listOptions);
      return {
        description: source.description,
        list: (signal) => source.list(signal),
        watch: (resourceVersion, onEvent, signal) =>
          source.watch(
            resourceVersion,
            (event: WatchEvent<T>) => {
              const waiting = held.get(idOf(type));
              if (waiting) waiting.push(() => onEvent(event));
              else onEvent(event);
            },
            signal,
          ),
      };
    },
  };
  const { logger, metrics } = cluster.context;
  const informers = new InformerFactory({ client: provider, namespaces: 'all', resyncPeriodMs: 0, logger, clock: cluster.clock });
  const counts = new Map<string, number>();
  const context: ControllerContext = {
    ...cluster.context,
    informers,
    metrics: {
      ...metrics,
      registry: metrics.registry,
      prefix: metrics.prefix,
      observeReconcile(kind, outcome, seconds) {
        counts.set(kind, (counts.get(kind) ?? 0) + 1);
        metrics.observeReconcile(kind, outcome, seconds);
      },
    },
  };
  return {
    ...cluster,
    informers,
    context,
    async sync() {
      informers.start();
      await informers.waitForSync();
      await settle();
    },
    stop: () => informers.stop(),
    hold(type) {
      if (!held.has(idOf(type))) held.set(idOf(type), []);
    },
    async release(type) {
      const waiting = held.get(idOf(type)) ?? [];
      held.delete(idOf(type));
      for (const deliver of waiting) deliver();
      await settle();
    },
    passes: (kind) => counts.get(kind) ?? 0,
  };
}
