// Reading the runner's result from a pod's termination message.
import { describe, expect, it } from '@jest/globals';
import { serializeResult } from '../../contract/result.ts';
import { parseTerminationMessage, runnerResultFromPods, succeededPodFinishedAt } from './runner-result.ts';

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
