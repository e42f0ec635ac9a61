// Kubernetes Events (events.k8s.io/v1) about the objects Lifeboat manages: what
// `kubectl describe` and `kubectl events` show. Best effort: a failed event never fails a reconcile.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { KubeApi } from './kube-api.ts';
import { microTime } from './micro-time.ts';
import { EVENTS } from './resource-type.ts';
import type { KubeObject } from './types.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventInput {
  type: EventType;
  /** Stable CamelCase, e.g. "JobCreated"; alerts and tests match on it, so never rename one. */
  reason: string;
  /** Human-readable; never a secret. Cut to the API's 1 KiB limit. */
  note: string;
  /** What was done or attempted, CamelCase: "CreateJob", "Prune". Defaults to "Reconcile". */
  action?: string;
}

export interface EventRecorderOptions {
  /** reportingController, a qualified name: "lifeboat.dev/operator". */
  controller: string;
  /** reportingInstance: this replica's identity. */
  instance: string;
  logger: Logger;
  /** Identical events (same object, type, reason and note) inside this window are sent once. */
  dedupWindowMs?: number;
  now?: () => number;
}

const NOTE_LIMIT = 1024;
const NAME_PATTERN = /^[A-Z][A-Za-z0-9]*$/;

export class EventRecorder {
  readonly #client: Pick<KubeApi, 'create'>;
  readonly #options: Required<Omit<EventRecorderOptions, 'logger'>> & { logger: Logger };
  /** Last emission time by object/type/reason/note, so a reconcile loop cannot flood events. */
  readonly #recent = new Map<string, number>();

  constructor(client: Pick<KubeApi, 'create'>, options: EventRecorderOptions) {
    this.#client = client;
    this.#options = { dedupWindowMs: 10 * 60_000, now: Date.now, ...options };
  }

  /** Resolves once the event is written or given up; rejects only for a malformed reason (a bug). */
  async record(regarding: KubeObject, input: EventInput): Promise<void> {
    const { metadata } = regarding;
    if (!metadata.name || !metadata.namespace) return;
    if (!NAME_PATTERN.test(input.reason)) throw new Error(`event reason must be CamelCase: ${input.reason}`);
    const now = this.#options.now();
    const dedupKey = [metadata.uid ?? `${metadata.namespace}/${metadata.name}`, input.type, input.reason, input.note].join('\u0000');
    const last = this.#recent.get(dedupKey);
    if (last !== undefined && now - last < this.#options.dedupWindowMs) return;
    this.#recent.set(dedupKey, now);
    this.#prune(now);

    const event = buildEvent(regarding, input, { ...this.#options, now: new Date(now) });
    try {
      await this.#client.create(EVENTS, event);
    } catch (error) {
      this.#recent.delete(dedupKey);
      this.#options.logger.warn({ err: error, reason: input.reason }, 'could not record an event');
    }
  }

  #prune(now: number): void {
    if (this.#recent.size < 1000) return;
    for (const [key, at] of this.#recent) {
      if (now - at >= this.#options.dedupWindowMs) this.#recent.delete(key);
    }
  }
}

export function buildEvent(
  regarding: KubeObject,
  input: EventInput,
  options: { controller: string; instance: string; now: Date },
): KubeObject & Record<string, unknown> {
  const { metadata } = regarding;
  const note = truncateUtf8(input.note, NOTE_LIMIT);
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    // generateName cannot end in "." (it must itself be a valid name), so name it as client-go does.
    metadata: { name: eventName(metadata.name ?? 'object', options.now), namespace: metadata.namespace },
    eventTime: microTime(options.now.getTime()),
    reportingController: options.controller,
    reportingInstance: options.instance.slice(0, 128),
    action: input.action ?? 'Reconcile',
    reason: input.reason,
    note,
    type: input.type,
    regarding: {
      apiVersion: regarding.apiVersion,
      kind: regarding.kind,
      name: metadata.name,
      namespace: metadata.namespace,
      uid: metadata.uid,
      resourceVersion: metadata.resourceVersion,
    },
  };
}

function eventName(objectName: string, now: Date): string {
  return `${objectName.slice(0, 230)}.${now.getTime().toString(16)}${randomBytes(3).toString('hex')}`;
}

/** The API counts the note's limit in bytes. */
export function truncateUtf8(text: string, limitBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= limitBytes) return text;
  const ellipsis = '…';
  let cut = Buffer.from(text, 'utf8')
    .subarray(0, limitBytes - Buffer.byteLength(ellipsis, 'utf8'))
    .toString('utf8');
  // A multi-byte character cut in half decodes to U+FFFD; drop it.
  cut = cut.replace(/\uFFFD+$/, '');
  return cut + ellipsis;
}
