// The env vars a runner Job gets, built from the names in the contract (src/contract/runner-env.ts).
// Credentials reach the runner only through secretKeyRef variables, never as values.
import type { V1EnvVar } from '@kubernetes/client-node';
import type { PostgresCredentialsRef, S3CredentialsRef } from '../../api/index.ts';
import { RunnerEnv } from '../../contract/runner-env.ts';

export function secretEnv(name: string, secret: string, key: string): V1EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secret, key } } };
}

export function postgresCredentialsEnv(ref: PostgresCredentialsRef): V1EnvVar[] {
  return [
    secretEnv(RunnerEnv.postgresUser, ref.name, ref.usernameKey),
    secretEnv(RunnerEnv.postgresPassword, ref.name, ref.passwordKey),
  ];
}

export function s3CredentialsEnv(prefix: string, ref: S3CredentialsRef | undefined): V1EnvVar[] {
  if (!ref) return [];
  return [
    secretEnv(`${prefix}ACCESS_KEY_ID`, ref.name, ref.accessKeyIdKey),
    secretEnv(`${prefix}SECRET_ACCESS_KEY`, ref.name, ref.secretAccessKeyKey),
  ];
}
