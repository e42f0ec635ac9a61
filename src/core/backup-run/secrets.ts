// Which Secret keys a run needs, and a message that says what to fix when one is missing. Only
// names and keys are ever looked at, never values.
import type { BackupSource, BackupStorage } from '../../api/index.ts';
import type { ObservedSecret } from './types.ts';

export interface SecretKeyNeed {
  secret: string;
  key: string;
  /** The field that names the key, e.g. spec.sources[0].postgres.connectionSecret.passwordKey. */
  field: string;
}

export function secretKeysNeeded(sources: readonly BackupSource[], storage: BackupStorage, origin: string): SecretKeyNeed[] {
  const needs: SecretKeyNeed[] = [];
  const s3 = (ref: { name: string; accessKeyIdKey: string; secretAccessKeyKey: string } | undefined, field: string) => {
    if (!ref) return;
    needs.push({ secret: ref.name, key: ref.accessKeyIdKey, field: `${field}.accessKeyIdKey` });
    needs.push({ secret: ref.name, key: ref.secretAccessKeyKey, field: `${field}.secretAccessKeyKey` });
  };
  s3(storage.credentialsSecret, `${origin}.storage.credentialsSecret`);
  const recipients = storage.encryption?.recipientsSecret;
  if (recipients) needs.push({ secret: recipients.name, key: recipients.key, field: `${origin}.storage.encryption.recipientsSecret.key` });
  sources.forEach((source, index) => {
    const field = `${origin}.sources[${index}]`;
    const connection = source.postgres?.connectionSecret;
    if (connection) {
      needs.push({ secret: connection.name, key: connection.usernameKey, field: `${field}.postgres.connectionSecret.usernameKey` });
      needs.push({ secret: connection.name, key: connection.passwordKey, field: `${field}.postgres.connectionSecret.passwordKey` });
    }
    s3(source.bucket?.credentialsSecret, `${field}.bucket.credentialsSecret`);
  });
  return needs;
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
