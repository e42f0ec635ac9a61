// Cron schedules and time zones: the API server checks the shape (5 fields with values in range,
// or a macro), code checks what only a cron engine knows (names, a date that never occurs).
import { Cron } from 'croner';
import { z } from 'zod';
import { matchesRule, withRules } from './cel.ts';
import { formatDuration } from './duration.ts';
import { error, warning, type Problem } from './problems.ts';

const MACROS = ['yearly', 'annually', 'monthly', 'weekly', 'daily', 'midnight', 'hourly'];

/** One cron field: lists of values, ranges and steps; `names` are checked by the engine. */
function cronField(value: string, names = false): string {
  const single = names ? `(${value}|[A-Za-z]{3})` : `(${value})`;
  const item = `([*]|${single}(-${single})?)(/[0-9]{1,2})?`;
  return `${item}(,${item})*`;
}

const CRON_FIELDS = [
  cronField('[0-5]?[0-9]'), // minute
  cronField('[01]?[0-9]|2[0-3]'), // hour
  cronField('0?[1-9]|[12][0-9]|3[01]'), // day of month
  cronField('0?[1-9]|1[0-2]', true), // month
  cronField('[0-7]', true), // day of week, 0 and 7 are Sunday
];

export const CRON_PATTERN = `^(@(${MACROS.join('|')})|${CRON_FIELDS.join(' +')})$`;

export function cronScheduleField(description: string) {
  return withRules(z.string().min(1).max(128), [
    matchesRule(
      CRON_PATTERN,
      'must be a cron expression with 5 fields (minute hour day-of-month month day-of-week, e.g. "30 2 * * *") or one of @hourly, @daily, @weekly, @monthly, @yearly',
    ),
  ]).describe(description);
}

const TIME_ZONE_PATTERN = '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$';

export function timeZoneField(description: string) {
  return withRules(z.string().min(1).max(64), [
    matchesRule(TIME_ZONE_PATTERN, 'must be an IANA time zone name such as UTC or Europe/Berlin'),
  ]).describe(description);
}

function knownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length]!;
}

function closestTimeZone(timeZone: string): string | undefined {
  const wanted = timeZone.toLowerCase();
  let best: { zone: string; distance: number } | undefined;
  for (const zone of ['UTC', ...Intl.supportedValuesOf('timeZone')]) {
    const distance = levenshtein(wanted, zone.toLowerCase());
    if (distance <= 3 && (!best || distance < best.distance)) best = { zone, distance };
  }
  return best?.zone;
}

/** Fixed reference instant so that validation is a pure function of the spec. */
const REFERENCE_TIME = new Date('2025-01-01T00:00:00Z');
const SAMPLED_RUNS = 60;

export interface ScheduleFields {
  schedule: string;
  timeZone: string;
}

export interface ScheduleCheck {
  problems: Problem[];
  /** Longest gap between consecutive runs seen in the sample, when the schedule is valid. */
  longestGapMs?: number;
}

/** What only a cron engine can tell: unknown names or zones, and schedules that never fire. */
export function checkSchedule(schedule: string, timeZone: string | undefined, fields: ScheduleFields): ScheduleCheck {
  if (timeZone !== undefined && !knownTimeZone(timeZone)) {
    const suggestion = closestTimeZone(timeZone);
    const instead = suggestion ? `did you mean ${suggestion}?` : 'use an IANA name such as UTC or Europe/Berlin';
    return { problems: [error(fields.timeZone, `unknown time zone "${timeZone}": ${instead}`)] };
  }
  let runs: Date[];
  try {
    const cron = new Cron(schedule, { paused: true, mode: '5-part', ...(timeZone ? { timezone: timeZone } : {}) });
    runs = cron.nextRuns(SAMPLED_RUNS, REFERENCE_TIME);
    cron.stop();
  } catch (cause) {
    const reason = (cause as Error).message.replace(/^CronPattern: /, '');
    return { problems: [error(fields.schedule, `"${schedule}" is not a valid cron expression: ${reason}`)] };
  }
  if (runs.length === 0) {
    return { problems: [error(fields.schedule, `"${schedule}" never fires (no such date); check day of month and month`)] };
  }
  let longestGapMs = 0;
  for (let i = 1; i < runs.length; i++) {
    longestGapMs = Math.max(longestGapMs, runs[i]!.getTime() - runs[i - 1]!.getTime());
  }
  return { problems: [], longestGapMs };
}

/** A recovery point objective the schedule cannot meet between two backups. */
export function rpoProblems(rpoMs: number, longestGapMs: number | undefined, rpoField: string): Problem[] {
  if (longestGapMs === undefined || rpoMs >= longestGapMs) return [];
  return [
    warning(
      rpoField,
      `${formatDuration(rpoMs)} is shorter than the longest gap between scheduled backups (${formatDuration(longestGapMs)}): the objective will be missed before every backup; back up more often or relax the objective`,
    ),
  ];
}
