// Durations as users write them in objectives ("30m", "1h", "1h30m", "24h") and as the operator
// writes them into status for printer columns ("1m32s").
import { z } from 'zod';
import { matchesRule, withRules } from './cel.ts';

const DURATION_PATTERN = '^([0-9]+h)?([0-9]+m)?([0-9]+s)?$';
const DURATION_REGEX = new RegExp(DURATION_PATTERN);

/** A user-written duration: hours, minutes and seconds, no days (24h, not 1d), never empty. */
export function durationField(description: string) {
  return withRules(z.string().min(2).max(32), [
    matchesRule(DURATION_PATTERN, 'must be a duration such as 30m, 1h, 1h30m or 24h (units h, m, s)'),
  ]).describe(`${description} Written as hours, minutes and seconds, e.g. 30m, 1h, 1h30m, 24h.`);
}

/** Milliseconds of a duration like "1h30m", or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (text.length < 2 || !DURATION_REGEX.test(text)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(/([0-9]+)([hms])/g)) {
    ms += Number(amount) * { h: 3_600_000, m: 60_000, s: 1_000 }[unit as 'h' | 'm' | 's'];
  }
  return ms;
}

/** "1h2m3s" style, whole seconds, zero parts left out; what status strings and printer columns show. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const parts = [hours ? `${hours}h` : '', minutes ? `${minutes}m` : '', seconds ? `${seconds}s` : ''];
  return parts.join('') || '0s';
}

