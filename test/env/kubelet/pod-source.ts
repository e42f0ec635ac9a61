// Lists and watches the pods bound to this node and hands them to the workers. Watches drop:
// a normal end or a client timeout re-watches from the last resourceVersion, a 410 Gone
// relists at once, any other error relists after a capped exponential back-off, and a periodic
// relist catches anything a watch may have missed.
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { type KubeApi, statusCode } from './kube-api.ts';
import type { KubeletTiming } from './timing.ts';

export interface PodHandler {
  upsert(pod: V1Pod): void;
  remove(pod: V1Pod): void;
  sync(pods: readonly V1Pod[]): void;
}

/** A watch that ends sooner than this without delivering anything counts as a failure. */
const minHealthyWatchMs = 1_000;

export function startPodSource(
  api: KubeApi,
  nodeName: string,
  handler: PodHandler,
  log: Logger,
  timing: KubeletTiming,
): { stop(): Promise<void> } {
  const stopping = new AbortController();
  let watch: AbortController | undefined;
  let resyncDue = false;

  const resyncTimer = setInterval(() => {
    resyncDue = true;
    watch?.abort();
  }, timing.podResyncMs);
  resyncTimer.unref();

  /** Runs one watch to its end; resolves with the error (null for a normal end). */
  const watchOnce = (resourceVersion: string, onResourceVersion: (rv: string) => void) =>
    new Promise<{ error: unknown; events: number }>((resolve) => {
      let events = 0;
      api
        .watchPods(
          nodeName,
          resourceVersion,
          (event) => {
            events++;
            if (event.type === 'BOOKMARK') return onResourceVersion(event.resourceVersion);
            const rv = event.pod.metadata?.resourceVersion;
            if (rv) onResourceVersion(rv);
            if (event.type === 'DELETED') handler.remove(event.pod);
            else handler.upsert(event.pod);
          },
          (error) => resolve({ error, events }),
        )
        .then(
          (controller) => {
            watch = controller;
            if (stopping.signal.aborted) controller.abort();
          },
          (error: unknown) => resolve({ error, events }),
        );
    });

  const loop = async () => {
    let backoffMs = 0;
    while (!stopping.signal.aborted) {
      try {
        const listed = await api.listPods(nodeName);
        handler.sync(listed.pods);
        let resourceVersion = listed.resourceVersion;
        resyncDue = false;
        for (;;) {
          const startedAt = Date.now();
          const { error, events } = await watchOnce(resourceVersion, (rv) => {
            resourceVersion = rv;
          });
          watch = undefined;
          if (stopping.signal.aborted || resyncDue) break;
          if (events > 0) backoffMs = 0;
          if (statusCode(error) === 410) {
            log.debug('pod watch expired (410); relisting');
            break;
          }
          const timedOut = (error as Error | null)?.name === 'TimeoutError';
          if (error && !timedOut) throw error;
          if (events === 0 && Date.now() - startedAt < minHealthyWatchMs) {
            backoffMs = nextBackoff(backoffMs, timing.watchBackoffMaxMs);
            await sleep(backoffMs, undefined, { signal: stopping.signal });
          }
        }
      } catch (error) {
        if (stopping.signal.aborted) break;
        backoffMs = nextBackoff(backoffMs, timing.watchBackoffMaxMs);
        log.warn({ err: error, retryInMs: backoffMs }, 'pod list/watch failed');
        await sleep(backoffMs, undefined, { signal: stopping.signal }).catch(() => undefined);
      }
    }
  };
  const running = loop().catch(() => undefined);

  return {
    async stop() {
      stopping.abort();
      clearInterval(resyncTimer);
      watch?.abort();
      await running;
    },
  };
}

function nextBackoff(currentMs: number, maxMs: number): number {
  return Math.min(Math.max(1_000, currentMs * 2), maxMs);
}
