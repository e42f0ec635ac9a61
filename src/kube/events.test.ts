import { describe, expect, it } from '@jest/globals';
import pino from 'pino';
import { buildEvent, EventRecorder, truncateUtf8 } from './events.ts';
import { microTime } from './micro-time.ts';
import type { KubeObject } from './types.ts';

const run: KubeObject = {
  apiVersion: 'lifeboat.dev/v1alpha1',
  kind: 'BackupRun',
  metadata: { namespace: 'team-a', name: 'nightly-20250601', uid: 'u-1', resourceVersion: '42' },
};

describe('buildEvent', () => {
  it('builds an events.k8s.io/v1 Event about the object', () => {
    const event = buildEvent(run, { type: 'Warning', reason: 'JobFailed', note: 'pg_dump: password authentication failed' }, {
      controller: 'lifeboat.dev/operator',
      instance: 'pod-1_ab12',
      now: new Date(Date.UTC(2025, 5, 1, 12, 0, 0, 123)),
    });
    expect(event).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { namespace: 'team-a' },
      eventTime: '2025-06-01T12:00:00.123000Z',
      reportingController: 'lifeboat.dev/operator',
      reportingInstance: 'pod-1_ab12',
      action: 'Reconcile',
      reason: 'JobFailed',
      type: 'Warning',
      regarding: { apiVersion: 'lifeboat.dev/v1alpha1', kind: 'BackupRun', name: 'nightly-20250601', namespace: 'team-a', uid: 'u-1', resourceVersion: '42' },
    });
    expect(event.metadata.name).toMatch(/^nightly-20250601\.[0-9a-f]+$/);
  });
});

describe('truncateUtf8', () => {
  it('keeps short text and cuts long text to the byte limit without splitting a character', () => {
    expect(truncateUtf8('short', 10)).toBe('short');
    const cut = truncateUtf8('ééééé', 8);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(8);
    expect(cut).toBe('éé…');
  });
});

describe('microTime', () => {
  it('writes six fractional digits', () => {
    expect(microTime(Date.UTC(2025, 0, 2, 3, 4, 5, 6))).toBe('2025-01-02T03:04:05.006000Z');
  });
});

describe('EventRecorder', () => {
  it('sends an identical event once per window, and rejects a reason that is not CamelCase', async () => {
    let now = 0;
    const created: KubeObject[] = [];
    const recorder = new EventRecorder(
      { create: async <T extends KubeObject>(_type: unknown, object: T) => (created.push(object), object) },
      { controller: 'lifeboat.dev/operator', instance: 'i', logger: pino({ level: 'silent' }), dedupWindowMs: 60_000, now: () => now, awaitDelivery: true },
    );
    const input = { type: 'Normal' as const, reason: 'JobCreated', note: 'created job x' };
    await recorder.record(run, input);
    await recorder.record(run, input);
    now = 60_000;
    await recorder.record(run, input);
    await recorder.record(run, { ...input, note: 'created job y' });
    expect(created).toHaveLength(3);
    await expect(recorder.record(run, { ...input, reason: 'job created' })).rejects.toThrow('CamelCase');
  });
});

describe('EventRecorder in the background', () => {
  /** An API whose creates wait until the test lets them through. */
  const slowApi = () => {
    const created: KubeObject[] = [];
    const waiting: (() => void)[] = [];
    let sending = 0;
    let mostAtOnce = 0;
    const api = {
      create: async <T extends KubeObject>(_type: unknown, object: T): Promise<T> => {
        sending += 1;
        mostAtOnce = Math.max(mostAtOnce, sending);
        await new Promise<void>((resolve) => waiting.push(resolve));
        sending -= 1;
        created.push(object);
        return object;
      },
    };
    const release = async (): Promise<void> => {
      for (const resolve of waiting.splice(0)) resolve();
      await new Promise((resolve) => setImmediate(resolve));
    };
    return { api, created, release, mostAtOnce: () => mostAtOnce };
  };

  it('returns before the event is written, sends a few at a time in order, and flush() waits for the rest', async () => {
    const { api, created, release, mostAtOnce } = slowApi();
    const recorder = new EventRecorder(api, { controller: 'lifeboat.dev/operator', instance: 'i', logger: pino({ level: 'silent' }), inFlight: 2 });
    for (let index = 0; index < 5; index++) await recorder.record(run, { type: 'Normal', reason: 'JobCreated', note: `created job ${index}` });
    expect(created).toHaveLength(0);

    let flushed = false;
    const flushing = recorder.flush().then(() => (flushed = true));
    while (created.length < 5) await release();
    await flushing;
    expect(flushed).toBe(true);
    expect(mostAtOnce()).toBe(2);
    expect(created.map((event) => (event as unknown as { note: string }).note)).toEqual([0, 1, 2, 3, 4].map((index) => `created job ${index}`));
  });

  it('drops what does not fit in the queue, logs it once, and sends an identical event again later', async () => {
    const { api, created, release } = slowApi();
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const recorder = new EventRecorder(api, { controller: 'lifeboat.dev/operator', instance: 'i', logger, inFlight: 1, queueLimit: 2 });
    const input = (index: number) => ({ type: 'Normal' as const, reason: 'JobCreated', note: `created job ${index}` });
    // One in flight, two queued, the rest dropped.
    for (let index = 0; index < 6; index++) await recorder.record(run, input(index));
    expect(recorder.dropped).toBe(3);
    expect(lines.filter((line) => line.includes('event queue full'))).toHaveLength(1);

    const flushing = recorder.flush();
    while (created.length < 3) await release();
    await flushing;
    // A dropped event was not remembered as sent: recording it again sends it.
    await recorder.record(run, input(5));
    while (created.length < 4) await release();
    await recorder.flush();
    expect(created.map((event) => (event as unknown as { note: string }).note)).toEqual(['created job 0', 'created job 1', 'created job 2', 'created job 5']);
  });
});
