// Cron fire times in a time zone, across the DST changes of Europe/Berlin in 2025
// (spring forward: 30 March 02:00 CET -> 03:00 CEST; fall back: 26 October 03:00 CEST -> 02:00 CET).
import { describe, expect, it } from '@jest/globals';
import { at } from '../testing/builders.ts';
import { fireTimesBetween, latestFireTime, nextFireTime } from './cron-times.ts';

const berlin = (schedule: string) => ({ schedule, timeZone: 'Europe/Berlin' });
const iso = (times: Date[]) => times.map((time) => time.toISOString());

describe('fire times', () => {
  it.each([
    ['a daily 02:30 job on spring-forward day runs once, at 03:00 CEST, the first instant after the gap', '30 2 * * *', '2025-03-29T12:00:00Z', ['2025-03-30T01:00:00.000Z', '2025-03-31T00:30:00.000Z']],
    ['a daily 02:30 job on fall-back day runs once, at the first 02:30 (CEST)', '30 2 * * *', '2025-10-25T12:00:00Z', ['2025-10-26T00:30:00.000Z', '2025-10-27T01:30:00.000Z']],
    ['a job at 02:30 and 14:30 is fixed-time too: one run at 02:30 on fall-back day', '30 2,14 * * *', '2025-10-25T13:00:00Z', ['2025-10-26T00:30:00.000Z', '2025-10-26T13:30:00.000Z']],
    ['a half-hourly job skips the local times that do not exist', '*/30 * * * *', '2025-03-30T00:10:00Z', ['2025-03-30T00:30:00.000Z', '2025-03-30T01:00:00.000Z']],
    ['a half-hourly job runs in both occurrences of the repeated hour', '*/30 * * * *', '2025-10-26T00:10:00Z', ['2025-10-26T00:30:00.000Z', '2025-10-26T01:00:00.000Z', '2025-10-26T01:30:00.000Z']],
    ['@daily runs at local midnight, 23:00 UTC in winter', '@daily', '2025-10-26T12:00:00Z', ['2025-10-26T23:00:00.000Z', '2025-10-27T23:00:00.000Z']],
    ['@hourly keeps real hours through fall-back', '@hourly', '2025-10-25T23:30:00Z', ['2025-10-26T00:00:00.000Z', '2025-10-26T01:00:00.000Z', '2025-10-26T02:00:00.000Z']],
  ])('%s', (_sentence, schedule, from, expected) => {
    const next: Date[] = [];
    let cursor = at(from);
    for (let i = 0; i < expected.length; i++) {
      cursor = nextFireTime(berlin(schedule), cursor)!;
      next.push(cursor);
    }
    expect(iso(next)).toEqual(expected);
  });

  it('counts a fire time at exactly `now` as the latest, and the next one as after it', () => {
    const hourly = { schedule: '0 * * * *', timeZone: 'UTC' };
    expect(latestFireTime(hourly, at('2025-01-01T10:00:00Z'))).toEqual(at('2025-01-01T10:00:00Z'));
    expect(latestFireTime(hourly, at('2025-01-01T09:59:59.999Z'))).toEqual(at('2025-01-01T09:00:00Z'));
    expect(nextFireTime(hourly, at('2025-01-01T10:00:00Z'))).toEqual(at('2025-01-01T11:00:00Z'));
  });

  it('lists the fire times in a window, oldest first, up to a limit', () => {
    const hourly = { schedule: '0 * * * *', timeZone: 'UTC' };
    expect(iso(fireTimesBetween(hourly, at('2025-01-01T10:00:00Z'), at('2025-01-01T13:00:00Z')))).toEqual([
      '2025-01-01T11:00:00.000Z',
      '2025-01-01T12:00:00.000Z',
      '2025-01-01T13:00:00.000Z',
    ]);
    expect(fireTimesBetween(hourly, at('2025-01-01T00:00:00Z'), at('2026-01-01T00:00:00Z'), 5)).toHaveLength(5);
  });

  it('has no next time for a schedule that never fires', () => {
    expect(nextFireTime({ schedule: '0 3 30 2 *', timeZone: 'UTC' }, at('2025-01-01T00:00:00Z'))).toBeUndefined();
  });
});
