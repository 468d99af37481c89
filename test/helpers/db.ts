import crypto from 'node:crypto';
import pg from 'pg';
import { inject, afterAll } from 'vitest';
import { openDb } from '../../src/db/pool.js';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { parseKeyring } from '../../src/cards/keys.js';
import type { Context } from '../../src/context.js';

export interface TestContext extends Context {
  clock: ManualClock;
  /** URL of this test file's own database. */
  url: string;
  /** Environment for spawning `bin/purse` against this database. */
  env: NodeJS.ProcessEnv;
}

/** A database of its own, cloned from the migrated template (dropped after the file's tests). */
export async function createTestDatabase(): Promise<string> {
  const template = new URL(inject('templateUrl'));
  const name = `purse_t_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: Object.assign(new URL(template), { pathname: '/postgres' }).toString() });
  await admin.connect();
  try {
    await admin.query(`create database ${name} template ${template.pathname.slice(1)}`);
  } finally {
    await admin.end();
  }
  afterAll(async () => {
    const c = new pg.Client({ connectionString: Object.assign(new URL(template), { pathname: '/postgres' }).toString() });
    await c.connect();
    await c.query(`drop database if exists ${name} with (force)`).finally(() => c.end());
  });
  return Object.assign(new URL(template), { pathname: `/${name}` }).toString();
}

/**
 * A Context on a fresh database with a manual clock (default 2026-03-10 10:00 Shanghai) and a
 * silent logger, closed after the file's tests.
 */
export async function testContext(opts: { now?: string; logger?: Logger; env?: NodeJS.ProcessEnv } = {}): Promise<TestContext> {
  const url = await createTestDatabase();
  const keysJson = inject('keysJson');
  const env = { ...process.env, DATABASE_URL: url, PURSE_KEYS: keysJson, LOG_LEVEL: 'warn', ...opts.env };
  const config = loadConfig(env);
  const db = await openDb(url, { poolSize: 10 });
  afterAll(() => db.close());
  return {
    config,
    logger: opts.logger ?? createLogger('silent'),
    db,
    clock: new ManualClock(opts.now ?? '2026-03-10T10:00:00+08:00'),
    keys: parseKeyring(keysJson, 'test keys'),
    calendar: { timezone: config.timezone, cutoffMinutes: config.cutoffMinutes },
    url,
    env,
  };
}
