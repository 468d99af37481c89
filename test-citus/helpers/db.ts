import crypto from 'node:crypto';
import { afterAll, inject } from 'vitest';
import { openDb } from '../../src/db/pool.js';
import { createClusterDatabase, dropClusterDatabase } from './cluster-db.js';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { parseKeyring } from '../../src/cards/keys.js';
import type { TestContext } from '../../test/helpers/db.js';

/**
 * A fresh database, migrated: on the Citus cluster (the database and the extension on every node,
 * the workers registered in it, so `purse db migrate` distributes the schema), or, with `citus:
 * false`, a plain PostgreSQL 15 database on the coordinator's server (the single-server reference).
 * Dropped after the file's tests.
 */
export async function clusterDatabase(opts: { citus: boolean }): Promise<string> {
  const base = inject('citusUrl');
  const workers = inject('citusWorkerPorts');
  const name = `purse_${opts.citus ? 'c' : 's'}_${crypto.randomBytes(5).toString('hex')}`;
  const { url, ports } = await createClusterDatabase(base, workers, name, opts.citus);
  afterAll(() => dropClusterDatabase(base, ports, name));
  return url;
}

/** A Context (manual clock, silent logger) on a database made by clusterDatabase. */
export async function clusterContext(url: string, opts: { now?: string } = {}): Promise<TestContext> {
  const keysJson = inject('citusKeysJson');
  const env = { ...process.env, DATABASE_URL: url, PURSE_KEYS: keysJson, LOG_LEVEL: 'warn' };
  const config = loadConfig(env);
  const db = await openDb(url, { poolSize: 10 });
  afterAll(() => db.close());
  return {
    config,
    logger: createLogger('silent'),
    db,
    clock: new ManualClock(opts.now ?? '2026-03-10T10:00:00+08:00'),
    keys: parseKeyring(keysJson, 'test keys'),
    calendar: { timezone: config.timezone, cutoffMinutes: config.cutoffMinutes },
    url,
    env,
  };
}
