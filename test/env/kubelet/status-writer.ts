// Writes a pod's status through the status subresource, one write at a time: requests made
// while a write is in flight collapse into one more write of the then-current status, and a
// status equal to the last one written is not sent again. Failed writes are retried.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { PodStatusJson } from './pod-status.ts';

export interface StatusWriterDeps {
  /** The status to write now, given the last one written. */
  build(previous: PodStatusJson | undefined): PodStatusJson;
  /** Sends it; false when the pod no longer exists. */
  send(status: PodStatusJson): Promise<boolean>;
  log: Logger;
  retryMs: number;
}

export class PodStatusWriter {
  readonly #deps: StatusWriterDeps;
  #dirty = false;
  #loop: Promise<void> | undefined;
  #last: PodStatusJson | undefined;
  #lastJson = '';
  #closed = false;

  constructor(deps: StatusWriterDeps) {
    this.#deps = deps;
  }

  get lastWritten(): PodStatusJson | undefined {
    return this.#last;
  }

  /** Schedules a write of the current status. */
  request(): void {
    if (this.#closed) return;
    this.#dirty = true;
    this.#loop ??= this.#run().finally(() => {
      this.#loop = undefined;
    });
  }

  /** Writes the current status and waits until it (or a newer one) is written. */
  async flush(): Promise<void> {
    this.request();
    await this.#loop;
  }

  /** Stops writing (the pod is gone, or the kubelet stops). */
  close(): void {
    this.#closed = true;
  }

  async #run(): Promise<void> {
    while (this.#dirty && !this.#closed) {
      this.#dirty = false;
      const status = this.#deps.build(this.#last);
      const json = JSON.stringify(status);
      if (json === this.#lastJson) continue;
      try {
        if (!(await this.#deps.send(status))) {
          this.#closed = true;
          return;
        }
        this.#last = status;
        this.#lastJson = json;
      } catch (error) {
        this.#deps.log.warn({ err: error }, 'writing pod status failed; retrying');
        this.#dirty = true;
        await sleep(this.#deps.retryMs);
      }
    }
  }
}
