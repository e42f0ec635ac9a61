// Secrets are referenced, never inlined: every credential field in the API is one of these.
// No schema in src/api has a field that takes a password, key or token by value.
import { z } from 'zod';
import { ObjectName } from './names.ts';

/** What Kubernetes allows as a key in a Secret's data. */
const SecretKey = z.string().min(1).max(253).regex(/^[-._a-zA-Z0-9]+$/);

const secretName = ObjectName.describe('Name of the Secret, in the same namespace as this object.');

export function secretKeyRef(description: string, defaultKey: string) {
  return z
    .object({
      name: secretName,
      key: SecretKey.default(defaultKey).describe(`Key in the Secret. Defaults to "${defaultKey}".`),
    })
    .describe(description);
}

export const PostgresCredentialsRef = z
  .object({
    name: secretName,
    usernameKey: SecretKey.default('username').describe('Key in the Secret that holds the user name. Defaults to "username".'),
    passwordKey: SecretKey.default('password').describe('Key in the Secret that holds the password. Defaults to "password".'),
  })
  .describe('Secret with the PostgreSQL user name and password. The runner receives them as environment variables through secretKeyRef; they never appear in the spec, status, logs or events.');
export type PostgresCredentialsRef = z.infer<typeof PostgresCredentialsRef>;

export const S3CredentialsRef = z
  .object({
    name: secretName,
    accessKeyIdKey: SecretKey.default('AWS_ACCESS_KEY_ID').describe('Key in the Secret that holds the access key ID. Defaults to "AWS_ACCESS_KEY_ID".'),
    secretAccessKeyKey: SecretKey.default('AWS_SECRET_ACCESS_KEY').describe('Key in the Secret that holds the secret access key. Defaults to "AWS_SECRET_ACCESS_KEY".'),
  })
  .describe("Secret with the S3 access key pair. Omitted on a bucket source, a restore target or a drill's scratch endpoint, the backup storage's key pair is used. The backup storage itself needs one: the runner reads credentials only from the variables this Secret fills (web identity / IRSA is not supported yet).");
export type S3CredentialsRef = z.infer<typeof S3CredentialsRef>;
