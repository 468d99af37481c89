import { loadConfig, type Config, type ConfigOverrides, type LogLevel } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { systemClock, type Clock } from './clock.js';
import { openDb, type Db } from './db/pool.js';
import fs from 'node:fs';
import path from 'node:path';
import { noDatabase, startEmbedded } from './db/embedded.js';
import { migrate, migrationStatus } from './db/migrate.js';
import { InputError } from './errors.js';
import { loadKeyring, type Keyring } from './cards/keys.js';
import type { Calendar } from './ledger/calendar.js';

/** Everything a domain function needs (house style §2), built once in the entry point. */
export interface Context {
  config: Config;
  logger: Logger;
  db: Db;
  clock: Clock;
  keys: Keyring;
  calendar: Calendar;
}

export interface OpenedContext extends Context {
  /** Closes the pools and stops an embedded server this process started. */
  close(): Promise<void>;
}

export interface ContextOptions {
  overrides?: ConfigOverrides;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  logger?: Logger;
  /** Apply pending migrations first (default true). */
  migrate?: boolean;
  /** A long-running process (the daemon): its pool keeps idle connections open (see openDb). */
  longRunning?: boolean;
  /**
   * `refuse`: a DATABASE_URL database with pending migrations is an error instead of being
   * migrated (`purse serve` without `--migrate`: an upgrade of a shared server is the operator's
   * decision, after a backup). The embedded database this home owns is always migrated.
   */
  pendingMigrations?: 'apply' | 'refuse';
  /**
   * Whether a missing embedded database or key ring may be created (default true). A read-only
   * command passes false: it must never answer from a new, empty database.
   */
  create?: boolean;
  /** Log level without LOG_LEVEL (default warn; the daemon: info). */
  defaultLogLevel?: LogLevel;
  /**
   * `application_name` of the hot-path pool's connections (default `purse`). CLI commands give
   * their own (`purse cards load`), so pg_stat_activity tells a command's backends from the daemon's.
   */
  applicationName?: string;
}

/**
 * Builds the Context: config, logger, keys, and the database — DATABASE_URL if set, else the
 * embedded PostgreSQL under PURSE_HOME (started or joined), migrated.
 */
export async function openContext(opts: ContextOptions = {}): Promise<OpenedContext> {
  const config = loadConfig(opts.env ?? process.env, opts.overrides, opts.defaultLogLevel);
  const logger = opts.logger ?? createLogger(config.logLevel);
  const create = opts.create !== false;
  if (!create && !config.databaseUrl && !fs.existsSync(path.join(config.purseHome, 'pg', 'PG_VERSION'))) throw noDatabase(config.purseHome);
  const keys = loadKeyring(config.keysJson, config.purseHome, { create });
  let url = config.databaseUrl;
  let stopServer = async () => undefined as void;
  if (!url) {
    const server = await startEmbedded(config.purseHome, logger, { create });
    url = server.url;
    stopServer = server.stop;
  }
  try {
    if (opts.migrate !== false && config.databaseUrl && opts.pendingMigrations === 'refuse') await refusePending(url);
    else if (opts.migrate !== false) await migrate(url, logger);
  } catch (err) {
    await stopServer();
    throw err;
  }
  const db = await openDb(url, {
    poolSize: config.poolSize, keepIdle: opts.longRunning === true, statementTimeoutMs: opts.longRunning ? config.statementTimeoutMs : 0,
    applicationName: opts.applicationName,
  });
  return {
    config,
    logger,
    db,
    clock: opts.clock ?? systemClock,
    keys,
    calendar: { timezone: config.timezone, cutoffMinutes: config.cutoffMinutes },
    async close() {
      await db.close();
      await stopServer();
    },
  };
}

/** Refuses a database whose schema is behind this version (or whose applied migrations changed). */
async function refusePending(url: string): Promise<void> {
  const status = await migrationStatus(url);
  const changed = status.filter((m) => m.state === 'changed');
  if (changed.length > 0) throw new InputError('migration_changed', `applied migration ${changed[0]!.version} has changed since it was applied`, 'migrations');
  const pending = status.filter((m) => m.state === 'pending');
  if (pending.length > 0) {
    throw new InputError('pending_migrations', `the DATABASE_URL database has ${pending.length} pending migration(s) (from ${pending[0]!.version}): back it up, then run \`purse db migrate\` or start with \`purse serve --migrate\``, 'DATABASE_URL');
  }
}
