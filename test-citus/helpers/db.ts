import crypto from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { openDb } from '../../src/db/pool.js';
import { migrate } from '../../src/db/migrate.js';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { parseKeyring } from '../../src/cards/keys.js';
import type { TestContext } from '../../test/helpers/db.js';

async function onNode(url: string, sql: string[]): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    for (const s of sql) await c.query(s);
  } finally {
    await c.end();
  }
}

function withDb(url: string, name: string, port?: number): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  if (port !== undefined) u.port = String(port);
  return u.toString();
}

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
  const nodes = opts.citus ? [Number(new URL(base).port), ...workers] : [Number(new URL(base).port)];
  for (const port of nodes) await onNode(withDb(base, 'postgres', port), [`create database ${name}`]);
  const url = withDb(base, name);
  if (opts.citus) {
    for (const port of workers) await onNode(withDb(base, name, port), ['create extension citus']);
    await onNode(url, [
      'create extension citus',
      `select citus_set_coordinator_host('127.0.0.1', ${new URL(base).port})`,
      ...workers.map((p) => `select citus_add_node('127.0.0.1', ${p})`),
    ]);
  }
  await migrate(url);
  afterAll(async () => {
    for (const port of nodes) {
      await onNode(withDb(base, 'postgres', port), [`drop database if exists ${name} with (force)`]).catch(() => undefined);
    }
  });
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
