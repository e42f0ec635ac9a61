import { describe, expect, it } from '@jest/globals';
import { MAX_RESULT_BYTES, serializeResult } from './result.ts';

describe('serializeResult', () => {
  it('keeps a small result as it is', () => {
    const text = serializeResult({ ok: true, subcommand: 'verify', summary: { verified: 1 } });
    expect(JSON.parse(text)).toEqual({ ok: true, subcommand: 'verify', summary: { verified: 1 } });
  });

  it('drops the largest fields first to stay within 4096 bytes, keeping valid JSON', () => {
    const summary = { key: 'a/b/c', sizeBytes: 42, checks: Array.from({ length: 500 }, (_, i) => ({ name: `check-${i}`, ok: true })) };
    const text = serializeResult({ ok: true, subcommand: 'drill-check', summary });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_RESULT_BYTES);
    expect(JSON.parse(text).summary).toEqual({ key: 'a/b/c', sizeBytes: 42, checks: '[omitted]' });
  });

  it('clips a very long failure reason', () => {
    const text = serializeResult({ ok: false, subcommand: 'verify', code: 'Internal', reason: 'x'.repeat(10_000) });
    const parsed = JSON.parse(text);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_RESULT_BYTES);
    expect(parsed.reason.length).toBeLessThanOrEqual(1024);
    expect(parsed.details).toBeUndefined();
  });

  it('keeps the details of a failure when they fit', () => {
    const text = serializeResult({ ok: false, subcommand: 'drill-check', code: 'CheckFailed', reason: 'r', details: { passed: false } });
    expect(JSON.parse(text).details).toEqual({ passed: false });
  });
});
