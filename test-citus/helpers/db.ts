import crypto from 'node:crypto';
import { afterAll, inject } from 'vitest';
import { openDb } from '../../src/db/pool.js';
import { createClusterDatabase, dropClusterDatabase } from './cluster-db.js';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { parseKeyring } from '../../src/cards/keys.js';
import type { TestContext } from '../../test/helpers/db.js';

// The file's databases, dropped after all its tests. Registered here, when the test file imports
// this module: an afterAll called from inside a beforeAll (where these helpers run) is never run,
// which left every database (and its Citus maintenance worker) behind. The drop (with force) also
// ends the connections of the file's pools and daemons, which are not closed one by one (a daemon
// made in a beforeAll keeps its batch connections checked out: ending its pool would wait forever);
// each file runs in a process of its own.
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const undo of cleanups.splice(0).reverse()) await undo();
});

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
  cleanups.push(() => dropClusterDatabase(base, ports, name));
  return url;
}

/** A Context (manual clock, silent logger) on a database made by clusterDatabase. */
export async function clusterContext(url: string, opts: { now?: string } = {}): Promise<TestContext> {
  const keysJson = inject('citusKeysJson');
  // A long authorization deadline: the comparisons are of answers, and a 503 of a loaded machine is none.
  const env = { ...process.env, DATABASE_URL: url, PURSE_KEYS: keysJson, LOG_LEVEL: 'warn', PURSE_AUTH_DEADLINE_MS: '120000' };
  const config = loadConfig(env);
  const db = await openDb(url, { poolSize: 10 });
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
