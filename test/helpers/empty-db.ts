import crypto from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';

function adminUrl(): string {
  return Object.assign(new URL(inject('templateUrl')), { pathname: '/postgres' }).toString();
}

/** A brand-new empty database (no migrations) on the test server, dropped after the file's tests. */
export async function createEmptyDatabase(): Promise<string> {
  const name = `purse_e_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`create database ${name}`).finally(() => admin.end());
  afterAll(async () => {
    const c = new pg.Client({ connectionString: adminUrl() });
    await c.connect();
    await c.query(`drop database if exists ${name} with (force)`).finally(() => c.end());
  });
  return Object.assign(new URL(inject('templateUrl')), { pathname: `/${name}` }).toString();
}
