// Which Secret keys a run needs (the storage's, the encryption recipients', each source's).
// Only names and keys are ever looked at, never values; the messages come from the job set.
import type { BackupSource, BackupStorage } from '../../api/index.ts';
import { postgresCredentialNeeds, s3CredentialNeeds, secretKeyNeed, type SecretKeyNeed } from '../job-set/index.ts';

export function secretKeysNeeded(sources: readonly BackupSource[], storage: BackupStorage, origin: string): SecretKeyNeed[] {
  const needs: SecretKeyNeed[] = [
    ...s3CredentialNeeds(storage.credentialsSecret, `${origin}.storage.credentialsSecret`),
    ...secretKeyNeed(storage.encryption?.recipientsSecret, `${origin}.storage.encryption.recipientsSecret`),
  ];
  sources.forEach((source, index) => {
    const field = `${origin}.sources[${index}]`;
    if (source.postgres) needs.push(...postgresCredentialNeeds(source.postgres.connectionSecret, `${field}.postgres.connectionSecret`));
    needs.push(...s3CredentialNeeds(source.bucket?.credentialsSecret, `${field}.bucket.credentialsSecret`));
  });
  return needs;
}
