// The consistent point of a backup: a REPEATABLE READ transaction whose snapshot is exported
// for pg_dump --snapshot. The transaction must stay open until pg_dump has finished; the
// snapshot's time and WAL position are recorded for the manifest (and the RPO).
import type pg from 'pg';

export interface ExportedSnapshot {
  snapshotId: string;
  /** Transaction start: everything committed before this instant is in the snapshot. */
  snapshotTime: Date;
  lsn: string | null;
  inRecovery: boolean;
  serverVersion: string;
  encoding: string;
  collate: string;
  ctype: string;
}

export async function exportSnapshot(client: pg.Client): Promise<ExportedSnapshot> {
  // The transaction sits idle while pg_dump runs: a server-wide idle or statement timeout
  // must not end it (pg_dump sets the same for its own session).
  await client.query('SET statement_timeout = 0; SET idle_in_transaction_session_timeout = 0; SET lock_timeout = 0');
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  const { rows } = await client.query<{
    snapshot_id: string;
    snapshot_time: Date;
    in_recovery: boolean;
    lsn: string | null;
    server_version: string;
    encoding: string;
    collate: string;
    ctype: string;
  }>(`
    SELECT pg_export_snapshot() AS snapshot_id,
           now() AS snapshot_time,
           pg_is_in_recovery() AS in_recovery,
           (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text AS lsn,
           current_setting('server_version') AS server_version,
           pg_encoding_to_char(d.encoding) AS encoding,
           d.datcollate AS collate,
           d.datctype AS ctype
      FROM pg_database d
     WHERE d.datname = current_database()`);
  const row = rows[0];
  if (!row) throw new Error('could not export a snapshot');
  return {
    snapshotId: row.snapshot_id,
    snapshotTime: row.snapshot_time,
    lsn: row.lsn,
    inRecovery: row.in_recovery,
    serverVersion: row.server_version,
    encoding: row.encoding,
    collate: row.collate,
    ctype: row.ctype,
  };
}

export async function releaseSnapshot(client: pg.Client): Promise<void> {
  await client.query('COMMIT');
}
