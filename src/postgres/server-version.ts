// The server's version, as a number to compare (server_version_num, 150020 for 15.20) and as
// text to record beside the client tools' versions.
import type pg from 'pg';

export interface ServerVersion {
  num: number;
  text: string;
}

export async function readServerVersion(client: pg.ClientBase): Promise<ServerVersion> {
  const { rows } = await client.query<{ num: string; text: string }>(
    `SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS text`,
  );
  return { num: Number(rows[0]?.num), text: String(rows[0]?.text) };
}
