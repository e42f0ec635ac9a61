// GFS retention tables: which runs stay, which go, and why, in the schedule's time zone.
import { describe, expect, it } from '@jest/globals';
import type { Retention } from '../../api/index.ts';
import type { ScheduleRunView } from '../schedule-run.ts';
import { failedAt, runningSince, succeededAt } from '../testing/builders.ts';
import { periodKey } from './calendar.ts';
import { applyRetention } from './retention.ts';

interface Case {
  sentence: string;
  policy: Retention;
  timeZone?: string;
  runs: ScheduleRunView[];
  kept: string[];
  pruned: string[];
}

const ok = succeededAt;

const cases: Case[] = [
  {
    sentence: 'keepLast 3 keeps the three newest successful backups',
    policy: { keepLast: 3 },
    runs: [ok('d1', '2025-01-01T02:00:00Z'), ok('d2', '2025-01-02T02:00:00Z'), ok('d3', '2025-01-03T02:00:00Z'), ok('d4', '2025-01-04T02:00:00Z'), ok('d5', '2025-01-05T02:00:00Z')],
    kept: ['d5', 'd4', 'd3'],
    pruned: ['d2', 'd1'],
  },
  {
    sentence: 'keepLast counts only successful runs',
    policy: { keepLast: 2 },
    runs: [ok('a', '2025-01-01T02:00:00Z'), ok('b', '2025-01-02T02:00:00Z'), ok('c', '2025-01-03T02:00:00Z'), failedAt('f', '2025-01-04T02:00:00Z')],
    kept: ['f', 'c', 'b'],
    pruned: ['a'],
  },
  {
    sentence: 'keepDaily keeps the newest backup of each day',
    policy: { keepDaily: 2 },
    runs: [ok('mon-06', '2025-01-06T06:00:00Z'), ok('mon-12', '2025-01-06T12:00:00Z'), ok('mon-18', '2025-01-06T18:00:00Z'), ok('sun-18', '2025-01-05T18:00:00Z'), ok('sat-18', '2025-01-04T18:00:00Z')],
    kept: ['mon-18', 'sun-18'],
    pruned: ['mon-12', 'mon-06', 'sat-18'],
  },
  {
    sentence: 'keepDaily counts days that have a backup, not calendar days (a paused schedule keeps its history)',
    policy: { keepDaily: 2 },
    runs: [ok('jan1', '2025-01-01T02:00:00Z'), ok('jan5', '2025-01-05T02:00:00Z'), ok('jan9', '2025-01-09T02:00:00Z')],
    kept: ['jan9', 'jan5'],
    pruned: ['jan1'],
  },
  {
    sentence: 'keepWeekly uses ISO weeks: Sunday 5 January closes week 1, Monday 6 January opens week 2',
    policy: { keepWeekly: 2 },
    runs: [ok('sat', '2025-01-04T12:00:00Z'), ok('sun', '2025-01-05T12:00:00Z'), ok('mon', '2025-01-06T12:00:00Z')],
    kept: ['mon', 'sun'],
    pruned: ['sat'],
  },
  {
    sentence: 'keepWeekly puts Monday 30 December 2024 in week 1 of 2025',
    policy: { keepWeekly: 2 },
    runs: [ok('sun-dec29', '2024-12-29T12:00:00Z'), ok('mon-dec30', '2024-12-30T12:00:00Z'), ok('thu-jan2', '2025-01-02T12:00:00Z')],
    kept: ['thu-jan2', 'sun-dec29'],
    pruned: ['mon-dec30'],
  },
  {
    sentence: 'keepYearly in Europe/Berlin puts 23:30 UTC on 31 December into the new year',
    policy: { keepYearly: 2 },
    timeZone: 'Europe/Berlin',
    runs: [ok('y2023', '2023-06-01T02:00:00Z'), ok('dec31-20utc', '2024-12-31T20:00:00Z'), ok('dec31-2330utc', '2024-12-31T23:30:00Z')],
    kept: ['dec31-2330utc', 'dec31-20utc'],
    pruned: ['y2023'],
  },
  {
    sentence: 'keepYearly in UTC puts both December backups into 2024',
    policy: { keepYearly: 2 },
    timeZone: 'UTC',
    runs: [ok('y2023', '2023-06-01T02:00:00Z'), ok('dec31-20utc', '2024-12-31T20:00:00Z'), ok('dec31-2330utc', '2024-12-31T23:30:00Z')],
    kept: ['dec31-2330utc', 'y2023'],
    pruned: ['dec31-20utc'],
  },
  {
    sentence: 'keepDaily in Europe/Berlin splits the days at local midnight, not UTC midnight',
    policy: { keepDaily: 2 },
    timeZone: 'Europe/Berlin',
    runs: [ok('local-sat-2330', '2025-03-29T22:30:00Z'), ok('local-sun-0030', '2025-03-29T23:30:00Z'), ok('utc-sat-2000', '2025-03-29T20:00:00Z')],
    kept: ['local-sun-0030', 'local-sat-2330'],
    pruned: ['utc-sat-2000'],
  },
  {
    sentence: 'keepMonthly in America/New_York puts 03:00 UTC on 1 February into January',
    policy: { keepMonthly: 1 },
    timeZone: 'America/New_York',
    runs: [ok('jan-15', '2025-01-15T12:00:00Z'), ok('feb1-03utc', '2025-02-01T03:00:00Z')],
    kept: ['feb1-03utc'],
    pruned: ['jan-15'],
  },
  {
    sentence: 'keepMonthly in UTC puts that same backup into February, so both months keep one',
    policy: { keepMonthly: 2 },
    timeZone: 'UTC',
    runs: [ok('jan-15', '2025-01-15T12:00:00Z'), ok('jan-20', '2025-01-20T12:00:00Z'), ok('feb1-03utc', '2025-02-01T03:00:00Z')],
    kept: ['feb1-03utc', 'jan-20'],
    pruned: ['jan-15'],
  },
  {
    sentence: 'rules are independent (restic): the backup kept by keepLast still counts as its day for keepDaily',
    policy: { keepLast: 1, keepDaily: 2 },
    runs: [ok('today-10', '2025-01-06T10:00:00Z'), ok('today-02', '2025-01-06T02:00:00Z'), ok('yesterday', '2025-01-05T02:00:00Z'), ok('before', '2025-01-04T02:00:00Z')],
    kept: ['today-10', 'yesterday'],
    pruned: ['today-02', 'before'],
  },
  {
    sentence: 'the newest successful backup is never pruned, even with every rule at zero',
    policy: { keepLast: 0, keepDaily: 0 },
    runs: [ok('old', '2025-01-01T02:00:00Z'), ok('new', '2025-01-02T02:00:00Z')],
    kept: ['new'],
    pruned: ['old'],
  },
  {
    sentence: 'the newest verified backup is never pruned either',
    policy: { keepLast: 1 },
    runs: [ok('verified', '2025-01-01T02:00:00Z', { verified: 'True' }), ok('middle', '2025-01-02T02:00:00Z'), ok('newest', '2025-01-03T02:00:00Z')],
    kept: ['newest', 'verified'],
    pruned: ['middle'],
  },
  {
    sentence: 'a policy without any rule keeps every backup',
    policy: {},
    runs: [ok('a', '2025-01-01T02:00:00Z'), ok('b', '2025-01-02T02:00:00Z')],
    kept: ['b', 'a'],
    pruned: [],
  },
  {
    sentence: 'failed runs go once a later run succeeded; later failures stay for debugging; running runs are left alone',
    policy: { keepLast: 5 },
    runs: [failedAt('failed-old', '2025-01-01T02:00:00Z'), failedAt('partial-old', '2025-01-02T02:00:00Z', 'PartiallyFailed'), ok('ok', '2025-01-03T02:00:00Z'), failedAt('failed-new', '2025-01-04T02:00:00Z'), runningSince('running', '2025-01-05T02:00:00Z')],
    kept: ['running', 'failed-new', 'ok'],
    pruned: ['partial-old', 'failed-old'],
  },
  {
    sentence: 'without any success every failed run stays',
    policy: { keepLast: 1 },
    runs: [failedAt('f1', '2025-01-01T02:00:00Z'), failedAt('f2', '2025-01-02T02:00:00Z')],
    kept: ['f2', 'f1'],
    pruned: [],
  },
  {
    sentence: 'a run that failed verification is not counted: keepLast 1 keeps the older usable backup, and the corrupt one stays for inspection',
    policy: { keepLast: 1 },
    runs: [ok('good', '2025-01-01T02:00:00Z'), ok('older', '2024-12-31T02:00:00Z'), ok('corrupt', '2025-01-02T02:00:00Z', { verified: 'False' })],
    kept: ['corrupt', 'good'],
    pruned: ['older'],
  },
  {
    sentence: 'a run that failed verification goes once a newer run is usable, as a failed run does, though keepLast has room',
    policy: { keepLast: 2 },
    runs: [ok('corrupt', '2025-01-01T02:00:00Z', { verified: 'False' }), ok('good', '2025-01-02T02:00:00Z', { verified: 'True' })],
    kept: ['good'],
    pruned: ['corrupt'],
  },
  {
    sentence: 'a run still being verified is kept but not counted, so the older good backup stays until it passes',
    policy: { keepLast: 1 },
    runs: [ok('good', '2025-01-01T02:00:00Z', { verified: 'True' }), ok('verifying', '2025-01-02T02:00:00Z', { verified: 'Unknown' })],
    kept: ['verifying', 'good'],
    pruned: [],
  },
  {
    sentence: 'runs already being deleted are neither kept nor pruned again',
    policy: { keepLast: 1 },
    runs: [ok('going', '2025-01-01T02:00:00Z', { deleting: true }), ok('old', '2025-01-02T02:00:00Z'), ok('new', '2025-01-03T02:00:00Z')],
    kept: ['new'],
    pruned: ['old'],
  },
];

describe('applyRetention', () => {
  it.each(cases)('$sentence', ({ policy, timeZone, runs, kept, pruned }) => {
    const decision = applyRetention(runs, policy, timeZone ?? 'UTC');
    expect(decision.kept.map((entry) => entry.name)).toEqual(kept);
    expect(decision.prune.map((entry) => entry.name)).toEqual(pruned);
  });

  it('says why each run stays and why each goes', () => {
    const decision = applyRetention(
      [ok('today-10', '2025-01-06T10:00:00Z', { verified: 'True' }), ok('today-02', '2025-01-06T02:00:00Z'), ok('yesterday', '2025-01-05T02:00:00Z'), failedAt('failed', '2025-01-04T02:00:00Z')],
      { keepLast: 1, keepDaily: 2, keepWeekly: 1 },
      'UTC',
    );
    expect(decision.kept).toEqual([
      { name: 'today-10', reasons: ['keepLast #1', 'keepDaily 2025-01-06', 'keepWeekly 2025-W02', 'newest successful', 'newest verified'] },
      { name: 'yesterday', reasons: ['keepDaily 2025-01-05'] },
    ]);
    expect(decision.prune).toEqual([
      { name: 'today-02', reason: 'not kept by keepLast 1, keepDaily 2, keepWeekly 1' },
      { name: 'failed', reason: 'Failed, and a newer run succeeded' },
    ]);
  });

  it('says a run failed verification, and that one being read back stays for that', () => {
    const decision = applyRetention(
      [ok('reading', '2025-01-03T02:00:00Z', { verified: 'Unknown' }), ok('good', '2025-01-02T02:00:00Z'), ok('corrupt', '2025-01-01T02:00:00Z', { verified: 'False', creationTime: new Date('2025-01-01T01:00:00Z') })],
      { keepLast: 1 },
      'UTC',
    );
    expect(decision.kept).toEqual([
      { name: 'reading', reasons: ['being verified'] },
      { name: 'good', reasons: ['keepLast #1', 'newest successful'] },
    ]);
    expect(decision.prune).toEqual([{ name: 'corrupt', reason: 'Succeeded but failed verification, and a newer run succeeded' }]);
  });
});

describe('periodKey', () => {
  it.each([
    ['daily', '2025-03-29T23:30:00Z', 'Europe/Berlin', '2025-03-30'],
    ['weekly', '2024-12-30T00:00:00Z', 'UTC', '2025-W01'],
    ['weekly', '2021-01-03T12:00:00Z', 'UTC', '2020-W53'],
    ['monthly', '2025-02-01T03:00:00Z', 'America/New_York', '2025-01'],
    ['yearly', '2024-12-31T23:30:00Z', 'Europe/Berlin', '2025'],
  ] as const)('%s bucket of %s in %s is %s', (period, time, zone, key) => {
    expect(periodKey(period, new Date(time), zone)).toBe(key);
  });
});
