// A list/watch source that a unit test scripts: each list() takes the next scripted answer,
// each watch() stays open until the test sends events into it or ends it.
import type { KubeObject, ListWatchSource, ObjectList, WatchEnd, WatchEvent } from '../../kube/types.ts';

export interface OpenWatch<T extends KubeObject> {
  fromVersion: string;
  send: (event: WatchEvent<T>) => void;
  end: (how: WatchEnd | Error) => void;
}

export class ScriptedSource<T extends KubeObject = KubeObject> implements ListWatchSource<T> {
  readonly description = 'scripted source';
  readonly listAnswers: Array<ObjectList<T> | Error> = [];
  readonly watches: OpenWatch<T>[] = [];
  lists = 0;

  async list(): Promise<ObjectList<T>> {
    this.lists++;
    const answer = this.listAnswers.shift();
    if (!answer) throw new Error('no list answer scripted');
    if (answer instanceof Error) throw answer;
    return answer;
  }

  watch(resourceVersion: string, onEvent: (event: WatchEvent<T>) => void, signal: AbortSignal): Promise<WatchEnd> {
    return new Promise((resolve, reject) => {
      const end = (how: WatchEnd | Error): void => (how instanceof Error ? reject(how) : resolve(how));
      signal.addEventListener('abort', () => resolve('closed'), { once: true });
      this.watches.push({ fromVersion: resourceVersion, send: onEvent, end });
    });
  }

  /** The watch opened last. */
  get current(): OpenWatch<T> {
    const open = this.watches.at(-1);
    if (!open) throw new Error('no watch open');
    return open;
  }
}
