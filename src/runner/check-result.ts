// One drill check as the runner reports it (drill-check, bucket-check): what it is, whether it
// held, and what was expected and found, short enough for a Kubernetes status (the operator
// copies expected/actual into DRDrillRun status.checks without parsing messages).
import type { DrillCheckType } from '../contract/tasks.ts';

export interface CheckResult {
  name: string;
  type: DrillCheckType;
  ok: boolean;
  /** What was expected, e.g. "300 rows", "412 schema objects". */
  expected: string;
  /** What was found, e.g. "301 rows", "410 present". */
  actual: string;
  /** Why it failed, or what it saw. */
  message: string;
  /** The check could not run here (e.g. no table of contents in a plain dump); ok stays true. */
  skipped?: true;
  /** SchemaObjects: the first objects of the dump missing after the restore. */
  missing?: string[];
}

/** Status fields are bounded (expected/actual 256, message 512 characters): stay well inside. */
const LIMITS = { name: 200, expected: 120, actual: 120, message: 400 };

export function checkResult(check: CheckResult): CheckResult {
  return {
    ...check,
    name: clip(check.name, LIMITS.name),
    expected: clip(check.expected, LIMITS.expected),
    actual: clip(check.actual, LIMITS.actual),
    message: clip(check.message, LIMITS.message),
  };
}

/**
 * The checks, cut down to at most `maxBytes` of JSON so that the result still fits the
 * termination message (4096 bytes, with the failure's reason): passed checks lose their
 * message, then go; then failed ones lose detail, then the last of them go. What went is
 * counted in `omitted`; the order is kept.
 */
export function boundChecks(checks: readonly CheckResult[], maxBytes: number): { checks: CheckResult[]; omitted: number } {
  let kept = [...checks];
  const size = () => Buffer.byteLength(JSON.stringify(kept));
  const dropLast = (which: (check: CheckResult) => boolean) => {
    while (size() > maxBytes) {
      const at = kept.findLastIndex(which);
      if (at < 0) return;
      kept.splice(at, 1);
    }
  };
  if (size() <= maxBytes) return { checks: kept, omitted: 0 };
  kept = kept.map((check) => (check.ok ? { ...check, message: '' } : check));
  dropLast((check) => check.ok);
  if (size() > maxBytes) {
    kept = kept.map((check) => ({
      ...check,
      message: clip(check.message, 80),
      ...(check.missing ? { missing: check.missing.slice(0, 3).map((name) => clip(name, 60)) } : {}),
    }));
  }
  dropLast(() => true);
  return { checks: kept, omitted: checks.length - kept.length };
}

export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  // Never leave half a surrogate pair.
  const last = cut.charCodeAt(cut.length - 1);
  return `${last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut}…`;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
