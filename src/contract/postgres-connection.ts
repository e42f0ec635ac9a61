// How a task names a PostgreSQL server and database, and where the credentials are: the names
// of env vars filled from the connection Secret, never the values.
import { z } from 'zod';
import { EnvName } from './runner-env.ts';

export const SslMode = z.enum(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']);

export const PostgresConnection = z.object({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(5432),
  database: z.string().min(1),
  sslMode: SslMode.default('prefer'),
  /** Environment variables holding the user name and password (from the connection Secret). */
  usernameEnv: EnvName.default('PGUSER'),
  passwordEnv: EnvName.default('PGPASSWORD'),
});
export type PostgresConnection = z.infer<typeof PostgresConnection>;
