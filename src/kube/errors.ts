// API failures mapped to what the caller should do about them (STYLE #7): the kind decides the
// retry, not the message.

/**
 * - temporary: try again later with backoff (5xx, 429, timeouts, network errors).
 * - permanent: retrying the same request cannot help (invalid, forbidden): report, do not retry.
 * - conflict: someone else wrote first (409): re-read and try again soon.
 * - not-found: the object is gone.
 */
export type ErrorKind = 'temporary' | 'permanent' | 'conflict' | 'not-found';

export const ERROR_KINDS: readonly ErrorKind[] = ['temporary', 'permanent', 'conflict', 'not-found'];

/** The kind of an HTTP status from the API server; 0 stands for "no response". */
export function errorKindForStatus(statusCode: number): ErrorKind {
  if (statusCode === 404) return 'not-found';
  if (statusCode === 409) return 'conflict';
  // 401: a rotated service-account token is picked up on the next request.
  // 410: an expired list continuation; listing again from the start succeeds.
  if (statusCode === 0 || statusCode === 401 || statusCode === 408 || statusCode === 410 || statusCode === 429) {
    return 'temporary';
  }
  if (statusCode >= 500) return 'temporary';
  return 'permanent';
}

interface StatusBody {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: { retryAfterSeconds?: number };
}

export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  /** HTTP status, or 0 when no response arrived. */
  readonly statusCode: number;
  /** The API's machine-readable reason: NotFound, AlreadyExists, Conflict, Invalid, Forbidden, ...; NetworkError without a response. */
  readonly reason: string;
  readonly kind: ErrorKind;
  /** "PATCH /apis/…/status", for logs. Never holds headers or bodies. */
  readonly request: string;
  readonly retryAfterSeconds: number | undefined;

  constructor(options: { statusCode: number; reason: string; message: string; request: string; retryAfterSeconds?: number; cause?: unknown }) {
    super(`${options.request}: ${options.statusCode || 'no response'} ${options.reason}: ${options.message}`, { cause: options.cause });
    this.statusCode = options.statusCode;
    this.reason = options.reason;
    this.kind = errorKindForStatus(options.statusCode);
    this.request = options.request;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** From an error response: the body is usually a metav1.Status. */
  static fromResponse(request: string, statusCode: number, body: string): KubeApiError {
    let status: StatusBody = {};
    try {
      status = JSON.parse(body) as StatusBody;
    } catch {
      // A proxy or load balancer answered with text; keep its first line.
    }
    const isStatus = status && status.kind === 'Status';
    return new KubeApiError({
      request,
      statusCode,
      reason: (isStatus && status.reason) || reasonForStatus(statusCode),
      message: (isStatus && status.message) || body.split('\n', 1)[0]?.slice(0, 200) || 'no message',
      retryAfterSeconds: isStatus ? status.details?.retryAfterSeconds : undefined,
    });
  }

  /** From a metav1.Status carried in a watch ERROR event. */
  static fromStatus(request: string, status: StatusBody): KubeApiError {
    const statusCode = status.code ?? 500;
    return new KubeApiError({
      request,
      statusCode,
      reason: status.reason || reasonForStatus(statusCode),
      message: status.message || 'watch error',
    });
  }

  /** No response: connection refused or reset, TLS failure, timeout. */
  static noResponse(request: string, cause: unknown): KubeApiError {
    const timedOut = cause instanceof Error && cause.name === 'TimeoutError';
    return new KubeApiError({
      request,
      statusCode: 0,
      reason: timedOut ? 'Timeout' : 'NetworkError',
      message: describeCause(cause),
      cause,
    });
  }
}

function reasonForStatus(statusCode: number): string {
  switch (statusCode) {
    case 400: return 'BadRequest';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 409: return 'Conflict';
    case 410: return 'Expired';
    case 422: return 'Invalid';
    case 429: return 'TooManyRequests';
    case 504: return 'Timeout';
    default: return statusCode >= 500 ? 'InternalError' : 'Unknown';
  }
}

/** undici reports "fetch failed" and hides the useful part (ECONNREFUSED, …) in `cause`. */
function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = cause.cause;
  if (inner instanceof Error) {
    const code = (inner as { code?: string }).code;
    return `${cause.message}: ${code ? `${code} ` : ''}${inner.message}`;
  }
  return cause.message;
}

function apiError(error: unknown): KubeApiError | undefined {
  return error instanceof KubeApiError ? error : undefined;
}

export function isNotFound(error: unknown): boolean {
  return apiError(error)?.kind === 'not-found';
}

/** Any 409: an optimistic-concurrency conflict or an AlreadyExists. */
export function isConflict(error: unknown): boolean {
  return apiError(error)?.kind === 'conflict';
}

/** A create of a name that is taken: for a deterministic child this means "already done". */
export function isAlreadyExists(error: unknown): boolean {
  const api = apiError(error);
  return api?.statusCode === 409 && api.reason === 'AlreadyExists';
}
