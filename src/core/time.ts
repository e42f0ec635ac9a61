// Times as the operator writes them into status: RFC 3339 in UTC, whole seconds when the
// instant has no milliseconds (what metav1.Time looks like), so a value read back compares equal.

export function formatTime(time: Date): string {
  return time.toISOString().replace('.000Z', 'Z');
}

/** The instant of an RFC 3339 string or a Date; undefined for absent or unparsable values. */
export function parseTime(value: string | Date | undefined | null): Date | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/**
 * The observed string when it already names `time`, else `time` formatted: an instant written
 * by someone else ("…00.000Z", "+02:00") is not rewritten just because it is spelled differently.
 */
export function keepSpelling(observed: string | undefined, time: Date | undefined): string | undefined {
  if (time === undefined) return undefined;
  if (observed !== undefined && parseTime(observed)?.getTime() === time.getTime()) return observed;
  return formatTime(time);
}

export function latest(times: readonly (Date | undefined)[]): Date | undefined {
  let best: Date | undefined;
  for (const time of times) if (time && (!best || time.getTime() > best.getTime())) best = time;
  return best;
}

export function earliest(times: readonly (Date | undefined)[]): Date | undefined {
  let best: Date | undefined;
  for (const time of times) if (time && (!best || time.getTime() < best.getTime())) best = time;
  return best;
}
