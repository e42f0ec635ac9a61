// One watch request as a promise: resolves when the stream ends normally, rejects on errors.
// Restarting, relisting and backoff are the informer's job (src/runtime/informer.ts).
import { type KubeConfig, Watch } from '@kubernetes/client-node';
import { KubeApiError } from './errors.ts';
import type { KubeObject, WatchEnd, WatchEvent, WatchEventType } from './types.ts';

const EVENT_TYPES = new Set<string>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK']);

export function watchCollection<T extends KubeObject>(
  config: KubeConfig,
  path: string,
  query: Record<string, string | number | boolean | undefined>,
  onEvent: (event: WatchEvent<T>) => void,
  signal: AbortSignal,
): Promise<WatchEnd> {
  const request = `WATCH ${path}`;
  return new Promise<WatchEnd>((resolve, reject) => {
    if (signal.aborted) {
      resolve('closed');
      return;
    }
    let expired = false;
    let streamError: KubeApiError | undefined;
    let controller: AbortController | undefined;
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      controller?.abort();
      outcome();
    };
    // Resolve at once: a watch stuck connecting must not hold up a shutdown.
    const onAbort = (): void => settle(() => resolve('closed'));
    signal.addEventListener('abort', onAbort, { once: true });

    const onLine = (type: string, object: unknown): void => {
      if (settled) return;
      if (type === 'ERROR') {
        // A metav1.Status; the server closes the stream right after it.
        const status = object as { code?: number; reason?: string; message?: string };
        if (status.code === 410) expired = true;
        else streamError = KubeApiError.fromStatus(request, status);
        return;
      }
      if (EVENT_TYPES.has(type)) onEvent({ type: type as WatchEventType, object: object as T });
    };

    const onDone = (error: unknown): void => {
      settle(() => {
        if (expired) return resolve('expired');
        if (streamError) return reject(streamError);
        if (!error) return resolve('closed');
        const failure = error as { name?: string; statusCode?: number; message?: string };
        // client-node aborts a watch that stayed silent for 30 s; that is a normal end.
        if (failure.name === 'TimeoutError') return resolve('closed');
        if (failure.statusCode === 410) return resolve('expired');
        if (failure.statusCode) {
          return reject(KubeApiError.fromStatus(request, { code: failure.statusCode, message: failure.message ?? 'watch refused' }));
        }
        reject(KubeApiError.noResponse(request, error));
      });
    };

    new Watch(config).watch(path, query, onLine, onDone).then(
      (started) => {
        controller = started;
        if (settled) started.abort();
      },
      (error: unknown) => onDone(error),
    );
  });
}
