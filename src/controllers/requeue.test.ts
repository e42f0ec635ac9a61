import { describe, expect, it } from '@jest/globals';
import { MAX_REQUEUE_MS, requeueResult } from './requeue.ts';

describe('requeueResult', () => {
  it('keeps a near requeue exact and caps a far one (a yearly cron) at the hour', () => {
    expect(requeueResult(1_500)).toEqual({ requeueAfterMs: 1_500 });
    expect(requeueResult(40 * 86_400_000)).toEqual({ requeueAfterMs: MAX_REQUEUE_MS });
    expect(requeueResult(undefined)).toEqual({});
  });
});
