// Reading the runner's result from a pod's termination message.
import { describe, expect, it } from '@jest/globals';
import { serializeResult } from '../../contract/result.ts';
import { parseTerminationMessage, podTerminationChanged, runnerResultFromPods, succeededPodFinishedAt, type PodTermination } from './runner-result.ts';

describe('parseTerminationMessage', () => {
  it('reads the JSON the runner writes', () => {
    const text = serializeResult({ ok: false, subcommand: 'postgres-backup', code: 'AuthenticationFailed', reason: 'password authentication failed' });
    expect(parseTerminationMessage(text)).toEqual({ ok: false, subcommand: 'postgres-backup', code: 'AuthenticationFailed', reason: 'password authentication failed' });
  });

  it('finds the reason in a log tail left by FallbackToLogsOnError', () => {
    const tail = [
      '{"level":30,"msg":"task started"}',
      '{"level":50,"code":"StorageUnavailable","reason":"s3://backups is unreachable: connect ECONNREFUSED","msg":"task failed"}',
      '{"level":30,"msg":"bye"}',
    ].join('\n');
    expect(parseTerminationMessage(tail)).toMatchObject({ ok: false, code: 'StorageUnavailable', reason: 's3://backups is unreachable: connect ECONNREFUSED' });
  });

  it('takes the last line of plain text as the reason', () => {
    expect(parseTerminationMessage('starting\nnode: out of memory\n')).toMatchObject({ ok: false, code: 'Unknown', reason: 'node: out of memory' });
  });

  it('has nothing to say about an empty message', () => {
    expect(parseTerminationMessage('  ')).toBeUndefined();
  });
});

describe('runnerResultFromPods', () => {
  it('reads the newest finished attempt', () => {
    const pod = (finishedAt: string, reason: string) => ({
      status: { containerStatuses: [{ name: 'runner', state: { terminated: { exitCode: 1, finishedAt, message: JSON.stringify({ ok: false, subcommand: 'x', code: 'E', reason }) } } }] },
    });
    expect(runnerResultFromPods([pod('2025-01-01T02:01:00Z', 'first'), pod('2025-01-01T02:03:00Z', 'last'), pod('2025-01-01T02:02:00Z', 'second')])).toMatchObject({ reason: 'last' });
  });
});

describe('succeededPodFinishedAt', () => {
  const pod = (phase: string, finishedAt?: string) => ({
    status: { phase, containerStatuses: [{ name: 'runner', state: finishedAt ? { terminated: { exitCode: phase === 'Succeeded' ? 0 : 1, finishedAt } } : {} }] },
  });

  it('is the runner container\'s finish time of the pod that succeeded', () => {
    expect(succeededPodFinishedAt([pod('Failed', '2025-01-01T02:01:00Z'), pod('Succeeded', '2025-01-01T02:03:00Z')])).toBe('2025-01-01T02:03:00Z');
  });

  it('is undefined while no pod succeeded', () => {
    expect(succeededPodFinishedAt([pod('Running'), pod('Failed', '2025-01-01T02:01:00Z')])).toBeUndefined();
    expect(succeededPodFinishedAt([])).toBeUndefined();
  });
});

describe('podTerminationChanged', () => {
  const runnerPod = (phase: string, state: object, extra: object = {}): PodTermination =>
    ({ metadata: { creationTimestamp: '2025-01-01T02:00:00Z' }, status: { phase, containerStatuses: [{ name: 'runner', state }], ...extra } }) as PodTermination;

  it('ignores a pod being bound, its container waiting or starting', () => {
    expect(podTerminationChanged(runnerPod('Pending', {}), runnerPod('Pending', { waiting: { reason: 'ContainerCreating' } }, { nodeName: 'node-1' } as object))).toBe(false);
    expect(podTerminationChanged(runnerPod('Running', { running: { startedAt: '2025-01-01T02:00:01Z' } }), runnerPod('Running', { running: { startedAt: '2025-01-01T02:00:02Z' } }))).toBe(false);
  });

  it('sees a new phase and a container that terminated, with its message', () => {
    expect(podTerminationChanged(runnerPod('Pending', {}), runnerPod('Running', {}))).toBe(true);
    const terminated = (message: string) => runnerPod('Running', { terminated: { exitCode: 0, message, finishedAt: '2025-01-01T02:01:00Z' } });
    expect(podTerminationChanged(runnerPod('Running', { running: {} }), terminated('{"ok":true}'))).toBe(true);
    expect(podTerminationChanged(terminated('{"ok":true}'), terminated('{"ok":false}'))).toBe(true);
    expect(podTerminationChanged(terminated('{"ok":true}'), terminated('{"ok":true}'))).toBe(false);
  });
});
