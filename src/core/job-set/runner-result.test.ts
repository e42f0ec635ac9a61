// Reading the runner's result from a pod's termination message.
import { describe, expect, it } from '@jest/globals';
import { serializeResult } from '../../contract/result.ts';
import { parseTerminationMessage, runnerResultFromPods } from './runner-result.ts';

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
