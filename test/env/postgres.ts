// A throwaway PostgreSQL cluster: initdb into the environment's work dir and the server on a
// free port, so tests that destroy data never touch the machine's own cluster. initdb and
// postgres refuse to run as root, so as root they run as the `postgres` user.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { ManagedProcess } from './managed-process.ts';
import { freePort } from './ports.ts';

const MAX_CONNECTIONS = 200;

export function postgresBinDir(): string {
  if (process.env.LIFEBOAT_PG_BINDIR) return process.env.LIFEBOAT_PG_BINDIR;
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((d) => /^\d+$/.test(d)) : [];
  majors.sort((a, b) => Number(b) - Number(a));
  const major = majors.find((m) => existsSync(join(root, m, 'bin/initdb')));
  if (!major) {
    throw new Error(
      `PostgreSQL server binaries not found under ${root}: install Debian's postgresql package (or set LIFEBOAT_PG_BINDIR)`,
    );
  }
  return join(root, major, 'bin');
}

function asPostgresUser(command: string, args: string[]): [string, string[]] {
  if (userInfo().uid !== 0) return [command, args];
  // setpriv execs in place (unlike runuser/su), so the server stays the process group leader.
  return ['/usr/bin/setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', command, ...args]];
}

function uidGid(user: string): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export async function startPostgres(
  workDir: string,
): Promise<{ host: string; port: number; user: string; binDir: string; process: ManagedProcess }> {
  const binDir = postgresBinDir();
  const dataDir = join(workDir, 'postgres/data');
  const socketDir = join(workDir, 'postgres/socket');
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(socketDir, { recursive: true });
  if (userInfo().uid === 0) {
    const { uid, gid } = uidGid('postgres');
    for (const dir of [join(workDir, 'postgres'), dataDir, socketDir]) chownSync(dir, uid, gid);
  }
  const [initdb, initArgs] = asPostgresUser(join(binDir, 'initdb'), [
    '-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync',
  ]);
  try {
    execFileSync(initdb, initArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? String(err);
    throw new Error(`initdb failed: ${stderr}`);
  }
  const port = await freePort();
  const [command, args] = asPostgresUser(join(binDir, 'postgres'), [
    '-D', dataDir, '-p', String(port), '-k', socketDir,
    '-c', 'listen_addresses=127.0.0.1',
    // Throwaway data: durability off, as in any test database.
    '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
    '-c', `max_connections=${MAX_CONNECTIONS}`,
  ]);
  const server = new ManagedProcess({
    name: 'postgres',
    command,
    args,
    logFile: join(workDir, 'logs/postgres.log'),
    stopSignal: 'SIGINT',
  });
  server.start();
  await waitUntilReady(server, binDir, port, 'accepting connections');
  return { host: '127.0.0.1', port, user: 'postgres', binDir, process: server };
}

/**
 * A hot standby of a cluster started by startPostgres: pg_basebackup of the primary with a
 * streaming-replication config (-R), then postgres on its own port. For tests of backups
 * taken from a replica. initdb's trust rules already allow replication from 127.0.0.1.
 */
export async function startStandby(
  primary: { port: number; binDir: string },
  workDir: string,
  /** Told about the server as soon as it is spawned, so a caller that gives up waiting can still stop it. */
  onSpawn: (server: ManagedProcess) => void = () => undefined,
): Promise<{ host: string; port: number; dir: string; process: ManagedProcess }> {
  const port = await freePort();
  // workDir must be open to the postgres user (the environment's work dir is 0755).
  const home = join(workDir, `standby-${port}`);
  const dataDir = join(home, 'data');
  mkdirSync(join(home, 'socket'), { recursive: true });
  if (userInfo().uid === 0) {
    const { uid, gid } = uidGid('postgres');
    for (const dir of [home, join(home, 'socket')]) chownSync(dir, uid, gid);
  }
  // --checkpoint=fast: the default spread checkpoint makes pg_basebackup wait minutes.
  const [basebackup, backupArgs] = asPostgresUser(join(primary.binDir, 'pg_basebackup'), [
    '-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', dataDir, '-R', '-X', 'stream', '--no-sync',
    '--checkpoint=fast',
  ]);
  try {
    await promisify(execFile)(basebackup, backupArgs, { timeout: 120_000 });
  } catch (err) {
    throw new Error(`pg_basebackup failed: ${(err as { stderr?: string }).stderr || String(err)}`);
  }
  const [command, args] = asPostgresUser(join(primary.binDir, 'postgres'), [
    '-D', dataDir, '-p', String(port), '-k', join(home, 'socket'),
    '-c', 'listen_addresses=127.0.0.1', '-c', 'hot_standby=on', '-c', 'fsync=off',
    // A standby refuses to start with fewer connections than its primary.
    '-c', `max_connections=${MAX_CONNECTIONS}`,
  ]);
  const server = new ManagedProcess({ name: 'postgres-standby', command, args, logFile: join(home, 'postgres.log'), stopSignal: 'SIGINT' });
  server.start();
  onSpawn(server);
  await waitUntilReady(server, primary.binDir, port, 'accepting read-only connections');
  return { host: '127.0.0.1', port, dir: home, process: server };
}

function waitUntilReady(server: ManagedProcess, binDir: string, port: number, what: string): Promise<void> {
  return server.waitUntil(
    what,
    async () => {
      try {
        execFileSync(join(binDir, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-q']);
        return true;
      } catch {
        return false;
      }
    },
    60_000,
  );
}
