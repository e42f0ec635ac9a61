// Before the first Job of a set exists: the spec must be valid (else the owner fails at once:
// no retry fixes it) and every Secret it names must exist with its keys. A missing Secret or
// referenced object is waited for, for a grace period from the owner's creation (Secrets are
// often applied in the same kubectl apply, a moment later), then the owner fails. Nothing
// crash-loops: the wait is a requeue, the failure a condition that says what to fix.
import { parseTime } from '../time.ts';

export interface PreflightConfig {
  /** How long an owner waits for a missing Secret or referenced object before it fails. */
  missingReferenceGraceMs: number;
  /** How often an owner that waits looks again (Secrets are not watched). */
  recheckAfterMs: number;
}

export type Preflight =
  | { verdict: 'ready' }
  | { verdict: 'invalid'; message: string }
  /** A reference is missing and the grace period is over. */
  | { verdict: 'missing'; message: string }
  /** A reference is missing; look again after requeueAfterMs. */
  | { verdict: 'waiting'; message: string; until: Date; requeueAfterMs: number };

export interface PreflightInput {
  /** One message per problem with the spec, each saying what to change. */
  invalid: readonly string[];
  /** One message per missing reference (Secret, key, object), each saying what to create. */
  missing: readonly string[];
  createdAt: string | Date | undefined;
  now: Date;
  config: PreflightConfig;
}

export function preflight({ invalid, missing, createdAt, now, config }: PreflightInput): Preflight {
  if (invalid.length > 0) return { verdict: 'invalid', message: invalid.join('; ') };
  if (missing.length === 0) return { verdict: 'ready' };
  return waitForReference(missing.join('; '), createdAt, now, config);
}

/** A missing reference: wait while there is time to fix it, then give up. */
export function waitForReference(message: string, createdAt: string | Date | undefined, now: Date, config: PreflightConfig): Extract<Preflight, { verdict: 'missing' | 'waiting' }> {
  const created = (createdAt instanceof Date ? createdAt : parseTime(createdAt)) ?? now;
  const until = new Date(created.getTime() + config.missingReferenceGraceMs);
  const left = until.getTime() - now.getTime();
  if (left <= 0) return { verdict: 'missing', message };
  return { verdict: 'waiting', message, until, requeueAfterMs: Math.min(config.recheckAfterMs, left) };
}
