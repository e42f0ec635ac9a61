// The error type decides the retry (STYLE #7). Reconcilers throw these (or let a KubeApiError
// through, which carries its own kind); the controller reads the kind and nothing else.
import { ERROR_KINDS, type ErrorKind } from '../kube/errors.ts';

export type { ErrorKind } from '../kube/errors.ts';

/** Worth retrying later with backoff: an endpoint is unreachable, a dependency is not ready yet. */
export class TemporaryError extends Error {
  override readonly name = 'TemporaryError';
  readonly kind = 'temporary' as const;
}

/** Retrying cannot help until something changes; report it (a condition, an event) and stop. */
export class PermanentError extends Error {
  override readonly name = 'PermanentError';
  readonly kind = 'permanent' as const;
}

/** The world moved under us (a stale read): re-read and try again soon. */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
  readonly kind = 'conflict' as const;
}

/**
 * The kind of any thrown value. Errors that declare no kind count as temporary: an unexpected
 * failure is retried with growing delays and stays visible in logs and metrics, rather than
 * leaving its object unreconciled until the next change.
 */
export function errorKindOf(error: unknown): ErrorKind {
  const kind = (error as { kind?: unknown } | null | undefined)?.kind;
  if (typeof kind === 'string' && (ERROR_KINDS as readonly string[]).includes(kind)) return kind as ErrorKind;
  return 'temporary';
}
