// Which Secret keys an owner's Jobs need, and a message that says what to fix when one is
// missing. Only names and keys are ever looked at, never values.
import type { PostgresCredentialsRef, S3CredentialsRef } from '../../api/index.ts';
import type { ObservedSecret } from './observed.ts';

export interface SecretKeyNeed {
  secret: string;
  key: string;
  /** The field that names the key, e.g. spec.sources[0].postgres.connectionSecret.passwordKey. */
  field: string;
}

export function s3CredentialNeeds(ref: S3CredentialsRef | undefined, field: string): SecretKeyNeed[] {
  if (!ref) return [];
  return [
    { secret: ref.name, key: ref.accessKeyIdKey, field: `${field}.accessKeyIdKey` },
    { secret: ref.name, key: ref.secretAccessKeyKey, field: `${field}.secretAccessKeyKey` },
  ];
}

export function postgresCredentialNeeds(ref: PostgresCredentialsRef, field: string): SecretKeyNeed[] {
  return [
    { secret: ref.name, key: ref.usernameKey, field: `${field}.usernameKey` },
    { secret: ref.name, key: ref.passwordKey, field: `${field}.passwordKey` },
  ];
}

/** A single-key reference ({name, key}), e.g. an age identity. */
export function secretKeyNeed(ref: { name: string; key: string } | undefined, field: string): SecretKeyNeed[] {
  return ref ? [{ secret: ref.name, key: ref.key, field: `${field}.key` }] : [];
}

/** The Secrets to look up, sorted and without repeats. */
export function secretNames(needs: readonly SecretKeyNeed[]): string[] {
  return [...new Set(needs.map((need) => need.secret))].sort();
}

/** One sentence per missing Secret or key, in the order the spec names them. */
export function missingSecretMessages(needs: readonly SecretKeyNeed[], secrets: readonly ObservedSecret[]): string[] {
  const byName = new Map(secrets.map((secret) => [secret.name, new Set(secret.keys)]));
  const messages: string[] = [];
  const reportedSecrets = new Set<string>();
  for (const need of needs) {
    const keys = byName.get(need.secret);
    if (!keys) {
      if (reportedSecrets.has(need.secret)) continue;
      reportedSecrets.add(need.secret);
      const wanted = [...new Set(needs.filter((n) => n.secret === need.secret).map((n) => n.key))];
      const field = need.field.slice(0, need.field.lastIndexOf('.'));
      messages.push(`Secret "${need.secret}" (${field}) does not exist; create it with the key(s) ${wanted.join(', ')}`);
    } else if (!keys.has(need.key)) {
      messages.push(`Secret "${need.secret}" has no key "${need.key}" (${need.field}); add it, or set ${need.field.slice(need.field.lastIndexOf('.') + 1)} to the key that holds it`);
    }
  }
  return [...new Set(messages)];
}
