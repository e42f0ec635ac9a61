// Connection settings for one PostgreSQL server: user and password come from environment
// variables (filled from the connection Secret). Child processes (pg_dump, pg_restore,
// psql) get them as libpq environment variables, never as arguments, in a minimal
// environment that carries no other secret.
import pg from 'pg';
import type { PostgresConnection } from '../contract/postgres-connection.ts';

export interface ConnectionSettings {
  host: string;
  port: number;
  database: string;
  user: string | undefined;
  password: string | undefined;
  sslMode: PostgresConnection['sslMode'];
}

export function connectionSettings(
  connection: PostgresConnection,
  env: NodeJS.ProcessEnv,
  database: string = connection.database,
): ConnectionSettings {
  return {
    host: connection.host,
    port: connection.port,
    database,
    user: env[connection.usernameEnv] || undefined,
    password: env[connection.passwordEnv] || undefined,
    sslMode: connection.sslMode,
  };
}

/** Variables a child process may inherit: the PATH to find tools, locale and time zone. */
const INHERITED = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'LC_MESSAGES', 'TZ', 'TMPDIR'];

export const APPLICATION_NAME = 'lifeboat-runner';

/** What a PostgreSQL tool gets of the runner's environment: where things are, locale, time zone. */
export function inheritedEnv(parent: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of INHERITED) {
    if (parent[name] !== undefined) env[name] = parent[name];
  }
  return env;
}

export function libpqEnv(settings: ConnectionSettings, parent: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = inheritedEnv(parent);
  env.PGHOST = settings.host;
  env.PGPORT = String(settings.port);
  env.PGDATABASE = settings.database;
  env.PGSSLMODE = settings.sslMode;
  env.PGAPPNAME = APPLICATION_NAME;
  env.PGCONNECT_TIMEOUT = '15';
  if (settings.user) env.PGUSER = settings.user;
  if (settings.password) env.PGPASSWORD = settings.password;
  return env;
}

export function describeServer(settings: ConnectionSettings): string {
  return `${settings.host}:${settings.port}/${settings.database}`;
}

function sslOption(mode: ConnectionSettings['sslMode']): pg.ClientConfig['ssl'] {
  switch (mode) {
    case 'disable':
    case 'allow':
      return false;
    case 'prefer':
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
    case 'verify-full':
      return { rejectUnauthorized: true };
  }
}

/** Opens a client; `prefer` tries TLS first and falls back when the server has none. */
export async function connect(settings: ConnectionSettings): Promise<pg.Client> {
  const open = async (ssl: pg.ClientConfig['ssl']): Promise<pg.Client> => {
    const client = new pg.Client({
      host: settings.host,
      port: settings.port,
      database: settings.database,
      ...(settings.user ? { user: settings.user } : {}),
      ...(settings.password ? { password: settings.password } : {}),
      ssl,
      application_name: APPLICATION_NAME,
      connectionTimeoutMillis: 15_000,
    });
    // An error on an idle client (server restart) must not crash the process; the next
    // query on it fails and is reported instead.
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };
  try {
    return await open(sslOption(settings.sslMode));
  } catch (error) {
    if (settings.sslMode === 'prefer' && /does not support SSL/i.test((error as Error).message)) return open(false);
    throw error;
  }
}

export async function withConnection<T>(settings: ConnectionSettings, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(settings);
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
