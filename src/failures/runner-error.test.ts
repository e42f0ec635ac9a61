import { describe, expect, it } from '@jest/globals';
import { isPermanentFailure, type FailureCode } from './runner-error.ts';

describe('isPermanentFailure', () => {
  it.each<FailureCode>(['InvalidTask', 'AuthenticationFailed', 'AccessDenied', 'ChecksumMismatch', 'DecryptionFailed', 'TargetNotEmpty', 'TargetExists', 'BucketMissing', 'ManifestMissing', 'ArtifactCorrupt', 'CheckFailed'])(
    '%s needs a person: a retry would fail the same way',
    (code) => expect(isPermanentFailure(code)).toBe(true),
  );

  it.each<FailureCode>(['DatabaseUnreachable', 'StorageUnavailable', 'SourceChanged', 'ToolFailed', 'DatabaseError', 'Cancelled', 'Internal'])(
    '%s may pass on the next attempt',
    (code) => expect(isPermanentFailure(code)).toBe(false),
  );
});
