// One-line reasons for S3 failures, naming the endpoint and bucket but never credentials.
import { RunnerError } from '../failures/runner-error.ts';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
]);

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

function networkCode(error: SdkError): string | undefined {
  for (let current: SdkError | undefined = error, depth = 0; current && depth < 5; depth++) {
    if (current.code && NETWORK_CODES.has(current.code)) return current.code;
    current = current.cause as SdkError | undefined;
  }
  return undefined;
}

export interface S3Where {
  endpoint?: string;
  bucket: string;
  key?: string;
}

function describeWhere(where: S3Where): string {
  const object = `s3://${where.bucket}${where.key ? `/${where.key}` : ''}`;
  return where.endpoint ? `${object} at ${where.endpoint}` : object;
}

export function storageFailure(error: unknown, where: S3Where, doing: string): RunnerError {
  if (error instanceof RunnerError) return error;
  const sdk = (error ?? {}) as SdkError;
  const status = sdk.$metadata?.httpStatusCode;
  const place = describeWhere(where);
  const code = networkCode(sdk);
  const detail = (sdk.message ?? String(error)).split('\n')[0];
  if (code || sdk.name === 'TimeoutError' || sdk.name === 'RequestTimeout') {
    return new RunnerError('StorageUnavailable', `S3 unreachable while ${doing} ${place} (${code ?? sdk.name})`, { cause: error });
  }
  if (sdk.name === 'NoSuchBucket') {
    return new RunnerError('BucketMissing', `bucket ${where.bucket} does not exist (while ${doing} ${place})`, { cause: error });
  }
  if (
    sdk.name === 'AccessDenied' ||
    sdk.name === 'InvalidAccessKeyId' ||
    sdk.name === 'SignatureDoesNotMatch' ||
    status === 403
  ) {
    // A HEAD answer has no body, so the SDK names its 403 "Unknown": say what it was instead.
    const reason = sdk.name && sdk.name !== 'Unknown' ? sdk.name : `HTTP ${status ?? 403} without an error code (a wrong key pair, or no permission)`;
    return new RunnerError('AccessDenied', `S3 denied access while ${doing} ${place}: ${reason}`, { cause: error });
  }
  if (status !== undefined && status >= 500) {
    return new RunnerError('StorageUnavailable', `S3 failed while ${doing} ${place}: HTTP ${status} ${sdk.name ?? ''}`.trim(), {
      cause: error,
    });
  }
  return new RunnerError('StorageUnavailable', `S3 error while ${doing} ${place}: ${sdk.name ?? 'Error'}: ${detail}`, { cause: error });
}

/** True for "the thing is not there" answers (HEAD gives a bare 404 without a code). */
export function isNotFound(error: unknown): boolean {
  const sdk = error as SdkError;
  return sdk.name === 'NotFound' || sdk.name === 'NoSuchKey' || sdk.name === 'NoSuchBucket' || sdk.$metadata?.httpStatusCode === 404;
}

/** Whether an error came from the S3 client or the network under it (vs. local I/O). */
export function isStorageError(error: unknown): boolean {
  const sdk = (error ?? {}) as SdkError;
  return sdk.$metadata !== undefined || networkCode(sdk) !== undefined || sdk.name === 'TimeoutError';
}
