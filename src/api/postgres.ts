// How a PostgreSQL server is reached; shared by sources, restore targets and drill scratch space.
import { z } from 'zod';
import { PostgresCredentialsRef } from './secret-refs.ts';

export const postgresServerShape = {
  host: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[A-Za-z0-9]([A-Za-z0-9.:_-]*[A-Za-z0-9])?$/)
    .describe('Host name or IP address of the PostgreSQL server, e.g. app-db.prod.svc.'),
  port: z.int().min(1).max(65535).default(5432).describe('TCP port of the PostgreSQL server. Defaults to 5432.'),
  connectionSecret: PostgresCredentialsRef,
  sslMode: z
    .enum(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'])
    .default('prefer')
    .describe('libpq sslmode for the connection (the values libpq uses). Defaults to prefer.'),
};

export function databaseNameField(description: string) {
  return z.string().min(1).max(63).describe(`${description} PostgreSQL limits names to 63 bytes.`);
}
