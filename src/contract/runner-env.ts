// The environment contract between a Job and the runner: the task as JSON, the result file,
// and credentials, which reach the runner only through secretKeyRef variables. The task names
// the variables (usernameEnv, credentialsEnvPrefix, keyEnv); it never holds a value. The
// operator builds the env from these names (src/core/jobs/runner-env.ts), the runner reads it.
import { z } from 'zod';

export const RunnerEnv = {
  task: 'LIFEBOAT_TASK',
  resultFile: 'LIFEBOAT_RESULT_FILE',
  tmpDir: 'TMPDIR',
  home: 'HOME',
  /** V8 heap limits derived from the container's memory limit (runner-heap.ts). */
  nodeOptions: 'NODE_OPTIONS',
  /** glibc's malloc thresholds for a runner with memory to spare (runner-heap.ts). */
  mallocTunables: 'GLIBC_TUNABLES',
  postgresUser: 'PGUSER',
  postgresPassword: 'PGPASSWORD',
  /** The backup storage's key pair: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (what AWS tools read too). */
  storageCredentialsPrefix: 'AWS_',
  /** A bucket source's key pair, kept apart from the storage's: SOURCE_AWS_ACCESS_KEY_ID, SOURCE_AWS_SECRET_ACCESS_KEY. */
  sourceCredentialsPrefix: 'SOURCE_AWS_',
  /** A restore target bucket's key pair, kept apart from the storage's (the backups are read
   *  with one, the target written with the other): TARGET_AWS_ACCESS_KEY_ID, TARGET_AWS_SECRET_ACCESS_KEY. */
  targetCredentialsPrefix: 'TARGET_AWS_',
  /** age recipients (or identities) every artifact is encrypted to, one per line. */
  ageRecipients: 'LIFEBOAT_AGE_RECIPIENTS',
  /** age identities (secret keys) that decrypt an artifact, one per line; the default of a
   *  task's decryption.identityEnv. */
  ageIdentity: 'LIFEBOAT_AGE_IDENTITY',
} as const;

/**
 * How the runner exits. A permanent failure (wrong password, corrupt artifact, non-empty
 * target...) cannot succeed on a retry, so the Job's podFailurePolicy fails the Job at once
 * instead of spending its backoffLimit; a retryable one (database or S3 unreachable, a tool
 * that crashed) is retried.
 */
export const RunnerExit = { succeeded: 0, retryable: 1, usage: 2, permanent: 3 } as const;

/** Where the kubelet reads the termination message; the runner writes its JSON result there. */
export const TERMINATION_MESSAGE_PATH = '/dev/termination-log';
export const SCRATCH_PATH = '/scratch';

/** A task field that names an environment variable (never holds a secret's value). */
export const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');
