import { loadConfig, type Config, type ConfigOverrides } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { systemClock, type Clock } from './clock.js';
import { openDb, type Db } from './db/pool.js';
import { startEmbedded } from './db/embedded.js';
import { migrate } from './db/migrate.js';
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
}

/**
 * Builds the Context: config, logger, keys, and the database — DATABASE_URL if set, else the
 * embedded PostgreSQL under PURSE_HOME (started or joined), migrated.
 */
export async function openContext(opts: ContextOptions = {}): Promise<OpenedContext> {
  const config = loadConfig(opts.env ?? process.env, opts.overrides);
  const logger = opts.logger ?? createLogger(config.logLevel);
  const keys = loadKeyring(config.keysJson, config.purseHome);
  let url = config.databaseUrl;
  let stopServer = async () => undefined as void;
  if (!url) {
    const server = await startEmbedded(config.purseHome, logger);
    url = server.url;
    stopServer = server.stop;
  }
  try {
    if (opts.migrate !== false) await migrate(url, logger);
  } catch (err) {
    await stopServer();
    throw err;
  }
  const db = await openDb(url, { poolSize: config.poolSize, keepIdle: opts.longRunning === true });
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
