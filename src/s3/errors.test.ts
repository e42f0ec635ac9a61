// storageFailure: one line that says what S3 answered, where, and never a credential.
import { describe, expect, it } from '@jest/globals';
import { RunnerError } from '../failures/runner-error.ts';
import { storageFailure } from './errors.ts';

const sdkError = (name: string, status: number, message = '') => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
const where = { bucket: 'uploads-restored', endpoint: 'http://minio:9000' };

describe('storageFailure', () => {
  it('names the code S3 gave for a refusal', () => {
    const failure = storageFailure(sdkError('SignatureDoesNotMatch', 403, 'The request signature we calculated does not match'), where, 'preparing the target bucket');
    expect(failure).toBeInstanceOf(RunnerError);
    expect(failure.code).toBe('AccessDenied');
    expect(failure.message).toBe('S3 denied access while preparing the target bucket s3://uploads-restored at http://minio:9000: SignatureDoesNotMatch');
  });

  it('says what a bare 403 to a HEAD request means instead of the SDK\'s "Unknown"', () => {
    const failure = storageFailure(sdkError('Unknown', 403), where, 'preparing the target bucket');
    expect(failure.code).toBe('AccessDenied');
    expect(failure.message).toBe(
      'S3 denied access while preparing the target bucket s3://uploads-restored at http://minio:9000: HTTP 403 without an error code (a wrong key pair, or no permission)',
    );
  });

  it('treats a network failure as storage unavailable', () => {
    const failure = storageFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), where, 'reading');
    expect(failure.code).toBe('StorageUnavailable');
    expect(failure.message).toBe('S3 unreachable while reading s3://uploads-restored at http://minio:9000 (ECONNREFUSED)');
  });
});
