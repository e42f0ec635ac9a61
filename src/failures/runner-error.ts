// Failures the runner reports as its one-line reason. A RunnerError's message is already
// written for the person reading `kubectl describe`; anything else gets described by
// describeFailure() in main.
export type FailureCode =
  | 'InvalidTask'
  | 'ChecksumMismatch'
  | 'DecryptionFailed'
  | 'ArtifactCorrupt'
  | 'DatabaseUnreachable'
  | 'AuthenticationFailed'
  | 'DatabaseError'
  | 'ToolFailed'
  | 'TargetNotEmpty'
  | 'TargetExists'
  | 'ManifestMissing'
  | 'StorageUnavailable'
  | 'BucketMissing'
  | 'DatabaseMissing'
  | 'SourceChanged'
  | 'AccessDenied'
  | 'CheckFailed'
  | 'Cancelled'
  | 'Internal';

/**
 * Failures a retry of the same task cannot fix: they need a person to change the task, a
 * Secret, a grant or the data. The rest (unreachable servers, a tool that crashed, an object
 * that changed while it was read, cancellation) may pass on the next attempt.
 */
const PERMANENT: ReadonlySet<string> = new Set<FailureCode>([
  'InvalidTask',
  'ChecksumMismatch',
  'DecryptionFailed',
  'ArtifactCorrupt',
  'AuthenticationFailed',
  'TargetNotEmpty',
  'TargetExists',
  'ManifestMissing',
  'BucketMissing',
  'DatabaseMissing',
  'AccessDenied',
  'CheckFailed',
]);

export function isPermanentFailure(code: string): boolean {
  return PERMANENT.has(code);
}

export class RunnerError extends Error {
  override name = 'RunnerError';
  readonly code: FailureCode;
  /** Facts worth reporting with the failure (e.g. which drill checks failed). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: FailureCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details;
  }
}

export class ChecksumMismatchError extends RunnerError {
  override name = 'ChecksumMismatchError';

  constructor(what: string, expected: { sha256: string; sizeBytes: number }, actual: { sha256: string; sizeBytes: number }) {
    super(
      'ChecksumMismatch',
      `${what} does not match its manifest: SHA-256 ${short(actual.sha256)} (${actual.sizeBytes} bytes) instead of ${short(expected.sha256)} (${expected.sizeBytes} bytes); the stored object is corrupt or was modified`,
      // In full, for a drill's Checksum check (expected and found).
      { details: { checksum: { expected: { sha256: expected.sha256, sizeBytes: expected.sizeBytes }, actual: { sha256: actual.sha256, sizeBytes: actual.sizeBytes } } } },
    );
  }
}

function short(sha256: string): string {
  return `${sha256.slice(0, 12)}…`;
}
