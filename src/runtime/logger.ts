// JSON logs with pino. Secrets never land in logs: whatever sits under a key named like a
// credential is replaced, however deep the object it was logged in (as far as pino's paths reach).
import pino, { type DestinationStream, type Logger } from 'pino';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const SECRET_KEYS = [
  'password',
  'passwd',
  'secret',
  'secretAccessKey',
  'accessKeyId',
  'sessionToken',
  'token',
  'authorization',
  'Authorization',
  'cookie',
  'privateKey',
  'identity',
  'passphrase',
  'connectionString',
  'PGPASSWORD',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
];

/** Pino paths: each secret key at the top level and up to three levels down. */
export const REDACT_PATHS: string[] = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]);

export function createLogger(options: { level?: LogLevel; name?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      name: options.name ?? 'lifeboat-operator',
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}

/** The logger of one reconcile: every line carries what is being reconciled. */
export function reconcileLogger(base: Logger, fields: { controller: string; kind: string; namespace?: string; name: string }): Logger {
  return base.child({ controller: fields.controller, kind: fields.kind, namespace: fields.namespace, name: fields.name });
}
