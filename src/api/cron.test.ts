import { describe, expect, it } from '@jest/globals';
import { checkSchedule, CRON_PATTERN, cronScheduleField, rpoProblems } from './cron.ts';

const fields = { schedule: 'spec.schedule', timeZone: 'spec.timeZone' };
const HOUR = 3_600_000;

describe('the cron format the API server checks', () => {
  const cron = cronScheduleField('x');

  it.each(['30 2 * * *', '*/15 * * * *', '0 0 1 * *', '0 4 * * 0', '0 4 * * SUN', '0 9-17/2 * * MON-FRI', '5,35 * * JAN,jul *', '0  3  *  *  7', '@daily', '@hourly', '@weekly', '@monthly', '@yearly', '@annually', '@midnight'])(
    'accepts %j',
    (schedule) => {
      expect(cron.safeParse(schedule).success).toBe(true);
    },
  );

  it.each(['', '* * * *', '* * * * * *', '60 * * * *', '0 24 * * *', '0 0 0 * *', '0 0 32 * *', '0 0 * 13 *', '0 0 * * 8', '@every 1h', '@reboot', 'daily', '0 0 * * * ', '0 0 ? * *'])(
    'rejects %j with a message that shows the expected form',
    (schedule) => {
      const result = cron.safeParse(schedule);
      expect(result.success).toBe(false);
    },
  );

  it('is written so that CEL can take it verbatim (no quotes, no escapes)', () => {
    expect(CRON_PATTERN).not.toMatch(/['\\]/);
  });
});

describe('checkSchedule', () => {
  it('accepts a daily schedule in a real time zone and measures the gap between runs', () => {
    expect(checkSchedule('30 2 * * *', 'Europe/Berlin', fields)).toEqual({ problems: [], longestGapMs: 24 * HOUR });
  });

  it('names an unknown time zone and suggests the closest one', () => {
    expect(checkSchedule('@daily', 'Europe/Berln', fields).problems).toEqual([
      { field: 'spec.timeZone', message: 'unknown time zone "Europe/Berln": did you mean Europe/Berlin?', severity: 'Error' },
    ]);
  });

  it('says what to write when nothing is close', () => {
    expect(checkSchedule('@daily', 'Mars/Olympus_Mons', fields).problems[0]?.message).toBe(
      'unknown time zone "Mars/Olympus_Mons": use an IANA name such as UTC or Europe/Berlin',
    );
  });

  it.each([
    ['0 0 30 2 *', '"0 0 30 2 *" never fires (no such date); check day of month and month'],
    ['0 0 31 4 *', '"0 0 31 4 *" never fires (no such date); check day of month and month'],
    ['0 0 * FOO *', '"0 0 * FOO *" is not a valid cron expression'],
  ])('reports %j', (schedule, message) => {
    const [problem] = checkSchedule(schedule, 'UTC', fields).problems;
    expect(problem?.field).toBe('spec.schedule');
    expect(problem?.message).toContain(message);
  });

  it('finds the longest gap of an irregular schedule', () => {
    expect(checkSchedule('0 9 * * MON-FRI', 'UTC', fields).longestGapMs).toBe(72 * HOUR);
  });
});

describe('rpoProblems', () => {
  it('warns when the RPO is shorter than the longest gap between backups', () => {
    expect(rpoProblems(5 * 60_000, 24 * HOUR, 'spec.objectives.rpo')).toEqual([
      {
        field: 'spec.objectives.rpo',
        severity: 'Warning',
        message: '5m is shorter than the longest gap between scheduled backups (24h): the objective will be missed before every backup; back up more often or relax the objective',
      },
    ]);
  });

  it('is quiet when backups come often enough', () => {
    expect(rpoProblems(24 * HOUR, 24 * HOUR, 'spec.objectives.rpo')).toEqual([]);
  });
});
