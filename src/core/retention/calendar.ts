// Calendar buckets of an instant in a time zone: the day, ISO week, month and year it falls in
// there. A backup at 23:30 UTC on 31 December is in January's bucket in Europe/Berlin.

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric' });
    formatters.set(timeZone, format);
  }
  return format;
}

export interface LocalDate {
  year: number;
  /** 1-12 */
  month: number;
  day: number;
}

export function localDate(time: Date, timeZone: string): LocalDate {
  const parts = formatter(timeZone).formatToParts(time);
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  return { year: part('year'), month: part('month'), day: part('day') };
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

export type Period = 'daily' | 'weekly' | 'monthly' | 'yearly';

/** "2025-03-30", "2025-W13" (ISO 8601 week-numbering year and week), "2025-03", "2025". */
export function periodKey(period: Period, time: Date, timeZone: string): string {
  const { year, month, day } = localDate(time, timeZone);
  switch (period) {
    case 'daily':
      return `${year}-${pad(month)}-${pad(day)}`;
    case 'weekly':
      return isoWeek(year, month, day);
    case 'monthly':
      return `${year}-${pad(month)}`;
    case 'yearly':
      return String(year);
  }
}

function isoWeek(year: number, month: number, day: number): string {
  const date = Date.UTC(year, month - 1, day);
  const mondayBased = (new Date(date).getUTCDay() + 6) % 7;
  // The week belongs to the year its Thursday is in.
  const thursday = date + (3 - mondayBased) * DAY_MS;
  const weekYear = new Date(thursday).getUTCFullYear();
  const week = 1 + Math.floor((thursday - Date.UTC(weekYear, 0, 1)) / (7 * DAY_MS));
  return `${weekYear}-W${pad(week)}`;
}
