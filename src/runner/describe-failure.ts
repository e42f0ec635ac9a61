// Every failure ends as a code and a one-line reason, whatever threw it.
import { MissingCredentialsError } from '../failures/missing-credentials.ts';
import { RunnerError, type FailureCode } from '../failures/runner-error.ts';
import { storageFailure, isStorageError } from '../s3/errors.ts';
import { InvalidManifestError, ManifestNotFoundError } from './manifest.ts';
import { InvalidTaskError } from './task.ts';

export interface Failure {
  code: FailureCode;
  reason: string;
  details?: Record<string, unknown>;
}

export function describeFailure(error: unknown, signal?: AbortSignal): Failure {
  // Whatever broke while stopping is a consequence of the stop.
  if (signal?.aborted) {
    return { code: 'Cancelled', reason: 'cancelled (the runner received a termination signal)' };
  }
  if (error instanceof RunnerError) {
    return error.details ? { code: error.code, reason: oneLine(error.message), details: error.details } : { code: error.code, reason: oneLine(error.message) };
  }
  if (error instanceof InvalidTaskError || error instanceof MissingCredentialsError) return { code: 'InvalidTask', reason: oneLine(error.message) };
  if (error instanceof ManifestNotFoundError) return { code: 'ManifestMissing', reason: oneLine(error.message) };
  if (error instanceof InvalidManifestError) return { code: 'ArtifactCorrupt', reason: oneLine(error.message) };
  if (isStorageError(error)) {
    const failure = storageFailure(error, { bucket: '?' }, 'talking to');
    return { code: failure.code, reason: oneLine(failure.message) };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'Internal', reason: oneLine(message) || 'unknown error' };
}

/** A failure's reason is one line: the termination message and the event notes are read as such. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
