// What must hold before a restore's first Job exists, with messages that say what to change:
// every target names a source the backup has, of the same type; an encrypted backup has an
// identity to decrypt it; every Secret the Jobs will read exists with its keys.
import { errorsOf, validateRestoreRequest, type BackupStorage, type RestoreRequestSpec } from '../../api/index.ts';
import { postgresCredentialNeeds, s3CredentialNeeds, secretKeyNeed, type SecretKeyNeed } from '../job-set/index.ts';
import { warning, type RecordEvent } from '../events.ts';
import { decryptionIdentity } from '../jobs/restore-job.ts';
import type { BackupCandidate } from './types.ts';

const TYPE_WORDS = { Postgres: 'a PostgreSQL', Bucket: 'a bucket' } as const;

export function targetProblems(spec: RestoreRequestSpec, run: BackupCandidate): string[] {
  const problems = errorsOf(validateRestoreRequest(spec)).map((problem) => `${problem.field}: ${problem.message}`);
  const artifacts = new Map(run.artifacts.map((artifact) => [artifact.source, artifact]));
  const names = run.artifacts.map((artifact) => artifact.source).join(', ') || 'none';
  spec.targets.forEach((target, index) => {
    const field = `spec.targets[${index}]`;
    const artifact = artifacts.get(target.source);
    if (!artifact) {
      problems.push(`${field}.source: BackupRun ${run.name} has no source "${target.source}"; its sources are: ${names}`);
      return;
    }
    if (artifact.phase !== undefined && artifact.phase !== 'Succeeded') {
      problems.push(`${field}.source: source "${target.source}" of BackupRun ${run.name} is ${artifact.phase}, not Succeeded; it cannot be restored`);
    }
    const wanted = target.postgres ? 'Postgres' : 'Bucket';
    if (artifact.type && artifact.type !== wanted) {
      const set = artifact.type === 'Postgres' ? 'postgres' : 'bucket';
      problems.push(`${field}: source "${target.source}" is ${TYPE_WORDS[artifact.type]} backup; restore it with ${set}, not ${set === 'postgres' ? 'bucket' : 'postgres'}`);
    }
  });
  if (isEncrypted(spec, run) && !identityOf(spec, run.storage)) {
    problems.push(
      `spec.decryption: BackupRun ${run.name} is encrypted; set spec.decryption.identitySecret to the Secret with its age identity (or identitySecret in the schedule's storage.encryption)`,
    );
  }
  if (!run.storage) problems.push(`BackupRun ${run.name} records no storage; it cannot be restored from`);
  return problems;
}

/** Warnings about the spec (a prefixRemap onto itself), as events the first time a generation is seen. */
export function specWarnings(spec: RestoreRequestSpec): RecordEvent[] {
  return validateRestoreRequest(spec)
    .filter((problem) => problem.severity === 'Warning')
    .map((problem) => warning('SpecWarning', `${problem.field}: ${problem.message}`));
}

/**
 * Whether any artifact a target restores is encrypted. A run whose status does not say (none
 * of its artifacts records `encrypted`) counts as encrypted when its storage encrypts.
 */
export function isEncrypted(spec: RestoreRequestSpec, run: BackupCandidate): boolean {
  const restored = new Set(spec.targets.map((target) => target.source));
  if (run.artifacts.some((artifact) => restored.has(artifact.source) && artifact.encrypted === true)) return true;
  const unrecorded = run.artifacts.every((artifact) => artifact.encrypted === undefined);
  return unrecorded && run.storage?.encryption !== undefined;
}

/** The age identity that decrypts: the restore's own wins over the schedule's storage. */
export function identityOf(spec: RestoreRequestSpec, storage: BackupStorage | undefined) {
  return decryptionIdentity(spec.decryption?.identitySecret, 'spec.decryption.identitySecret', storage);
}

export function restoreSecretNeeds(spec: RestoreRequestSpec, run: BackupCandidate): SecretKeyNeed[] {
  const storage = run.storage;
  const needs: SecretKeyNeed[] = [...s3CredentialNeeds(storage?.credentialsSecret, 'storage.credentialsSecret (of the backup schedule)')];
  const identity = isEncrypted(spec, run) ? identityOf(spec, storage) : undefined;
  if (identity) needs.push(...secretKeyNeed(identity, identity.field));
  spec.targets.forEach((target, index) => {
    const field = `spec.targets[${index}]`;
    if (target.postgres) needs.push(...postgresCredentialNeeds(target.postgres.connectionSecret, `${field}.postgres.connectionSecret`));
    if (target.bucket) needs.push(...s3CredentialNeeds(target.bucket.credentialsSecret, `${field}.bucket.credentialsSecret`));
  });
  return needs;
}
