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
      { controller: 'lifeboat.dev/operator', instance: 'i', logger: pino({ level: 'silent' }), dedupWindowMs: 60_000, now: () => now },
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
