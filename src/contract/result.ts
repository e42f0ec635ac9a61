// The short JSON result the runner leaves as its container's termination message and the
// operator copies into status (src/core/job-set/runner-result.ts reads it back, log tails
// included). The kubelet reads at most 4096 bytes, so the result is cut down field by field to
// fit rather than truncated into invalid JSON.
import { z } from 'zod';
import { RunnerEnv, TERMINATION_MESSAGE_PATH } from './runner-env.ts';

export const RESULT_FILE_ENV = RunnerEnv.resultFile;
export const DEFAULT_RESULT_FILE = TERMINATION_MESSAGE_PATH;
export const MAX_RESULT_BYTES = 4096;
const MAX_REASON_CHARS = 1024;

const RunnerSuccess = z.object({ ok: z.literal(true), subcommand: z.string(), summary: z.record(z.string(), z.unknown()) });
const RunnerFailure = z.object({
  ok: z.literal(false),
  subcommand: z.string(),
  code: z.string(),
  reason: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export const RunnerResult = z.union([RunnerSuccess, RunnerFailure]);
export type RunnerResult = z.infer<typeof RunnerResult>;

/**
 * drill-check's `checksOmitted` (in its summary, or a failure's details): the checks it ran
 * but left out of `checks` so that the result fits, by outcome. The operator counts them in
 * DRDrillRun status.checksSummary and the report; the runner's log lists every check.
 */
export const DrillChecksOmitted = z.object({ passed: z.int().min(0), failed: z.int().min(0) });
export type DrillChecksOmitted = z.infer<typeof DrillChecksOmitted>;

/** The result as JSON of at most `limit` bytes. */
export function serializeResult(result: RunnerResult, limit = MAX_RESULT_BYTES): string {
  const bounded: RunnerResult = result.ok ? { ...result, summary: { ...result.summary } } : { ...result, reason: clip(result.reason, MAX_REASON_CHARS) };
  const details = bounded.ok ? bounded.summary : (bounded.details ??= {});
  let text = JSON.stringify(bounded);
  // Replace the largest entries first: the scalar facts are what the operator needs most.
  while (Buffer.byteLength(text) > limit) {
    const largest = Object.entries(details)
      .filter(([, value]) => value !== '[omitted]')
      .map(([key, value]) => [key, JSON.stringify(value)?.length ?? 0] as const)
      .sort((a, b) => b[1] - a[1])[0];
    if (!largest || largest[1] <= 12) break;
    details[largest[0]] = '[omitted]';
    text = JSON.stringify(bounded);
  }
  if (Buffer.byteLength(text) > limit && !bounded.ok) {
    text = JSON.stringify({ ...bounded, reason: clip(bounded.reason, 256), details: undefined });
  }
  if (!bounded.ok && Object.keys(details).length === 0) text = JSON.stringify({ ...bounded, details: undefined });
  return text;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
