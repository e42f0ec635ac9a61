// A target's status entry when its Job failed: the runner's reason, and for a backup that
// cannot be read as stored (checksum mismatch, corrupt archive), what to do instead.
import { describe, expect, it } from '@jest/globals';
import { RestoreTarget } from '../../api/index.ts';
import { failure, job } from '../testing/builders.ts';
import { bucketTarget, pgTarget } from '../testing/restore-builders.ts';
import { failureMessage, targetState } from './target-state.ts';

const MISMATCH =
  'artifact s3://backups/prod/ns/app/app-1/db/database.dump.zst does not match its manifest: SHA-256 881d53099b61… (3462 bytes) instead of 4a82ccfe7645… (3462 bytes); the stored object is corrupt or was modified';
const ADVICE = 'this backup cannot be restored: create a new RestoreRequest that selects another BackupRun';

const failedEntry = (target: object, reason: string, code: string) =>
  targetState(RestoreTarget.parse(target), 'undo-db', { source: 'db', phase: 'Running' }, job.failed('undo-db', failure(reason, code), 'PodFailurePolicy')).entry;

describe('a failed restore target\'s message', () => {
  it('names a checksum mismatch as such and says to restore another backup', () => {
    expect(failedEntry(pgTarget, MISMATCH, 'ChecksumMismatch')).toMatchObject({ phase: 'Failed', message: `checksum mismatch: ${MISMATCH}; ${ADVICE}` });
  });

  it('says to restore another backup when the archive is corrupt', () => {
    const reason = 'object "a/b.json" in the archive does not match its SHA-256 in the manifest';
    expect(failedEntry(bucketTarget, reason, 'ArtifactCorrupt').message).toBe(`${reason}; ${ADVICE}`);
  });

  it('does not say "checksum" twice', () => {
    expect(failureMessage({ phase: 'Failed', message: 'artifact checksum mismatch', result: failure('artifact checksum mismatch', 'ChecksumMismatch') })).toBe(
      `artifact checksum mismatch; ${ADVICE}`,
    );
  });

  it('keeps the runner\'s reason as it is for failures of the target or the setup', () => {
    const reason = 'target database 127.0.0.1:5432/app is not empty (2 relations); set overwritePolicy to Clean to restore over it';
    expect(failedEntry(pgTarget, reason, 'TargetNotEmpty').message).toBe(reason);
    expect(failedEntry(pgTarget, 'could not be decrypted: wrong age key', 'DecryptionFailed').message).toBe('could not be decrypted: wrong age key');
  });

  it('keeps a message that is not the runner\'s (no result) and gives none to a target that did not fail', () => {
    expect(failureMessage({ phase: 'Failed', message: 'Job undo-db disappeared', result: undefined })).toBe('Job undo-db disappeared');
    expect(failureMessage({ phase: 'Succeeded', message: undefined, result: { ok: true, subcommand: 'postgres-restore', summary: {} } })).toBeUndefined();
  });
});
