// The session settings a newer pg_restore or pg_dump writes at the top of every restore
// (pg_restore's "fixed output state", the same lines at the head of a plain dump), which an
// older server rejects as "unrecognized configuration parameter". PostgreSQL 17's tools
// write `SET transaction_timeout = 0` whatever the server: pg_restore 17.12 into a 15
// server fails on it at once, and, inside --single-transaction, nothing after it could run.
// Only these settings are ever left out, and only for a server older than the setting
// (docs/adr/0012-older-servers-restore-through-a-filtered-script.md).

/** Setting name → server_version_num of the first server that knows it. */
export const NEWER_SESSION_SETTINGS: Readonly<Record<string, number>> = {
  transaction_timeout: 170000,
};

/** The major version in a tool's `--version` line ("pg_restore (PostgreSQL) 17.12 (Debian …)" → 17). */
export function toolMajor(versionLine: string): number | undefined {
  const match = /\(PostgreSQL\) (\d+)(?:\.\d+)?/.exec(versionLine);
  return match ? Number(match[1]) : undefined;
}

/**
 * The session settings the client tools write that the server does not know, sorted; empty
 * when the client is not newer than the server. An unknown client major (a tool that does
 * not print one) is taken to be as new as can be: filtering a setting the tools never wrote
 * changes nothing.
 */
export function settingsUnknownToServer(clientMajor: number | undefined, serverVersionNum: number): string[] {
  return Object.entries(NEWER_SESSION_SETTINGS)
    .filter(([, since]) => serverVersionNum < since && (clientMajor === undefined || clientMajor * 10000 >= since))
    .map(([name]) => name)
    .sort();
}
