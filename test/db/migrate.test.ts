import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createEmptyDatabase } from '../helpers/empty-db.js';
import { runCli } from '../helpers/cli.js';
import { migrate, migrationStatus, readMigrations } from '../../src/db/migrate.js';
import { PurseError } from '../../src/errors.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A migrations directory of its own with `files` (name → SQL). */
function migrationsDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-migrations-'));
  dirs.push(dir);
  for (const [name, sql] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), sql);
  return dir;
}

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text)).rows;
  } finally {
    await c.end();
  }
}

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

// 000002 needs 000001's table, so applying out of order would fail.
const FILES = {
  '000001_accounts.sql': 'create table things (id int primary key);',
  '000002_more.sql': 'create table more_things (thing_id int references things);',
  '000003_seed.sql': 'insert into things (id) values (1), (2);',
};

describe('migrations', () => {
  it('applies files in version order, each recorded with the SHA-256 of its file', async () => {
    const url = await createEmptyDatabase();
    const dir = migrationsDir(FILES);
    expect(await migrate(url, undefined, dir)).toEqual([1, 2, 3]);
    const rows = await query<{ version: number; name: string; checksum: string }>(url, 'select version, name, checksum from schema_migrations order by version');
    expect(rows).toEqual(Object.entries(FILES).map(([file, sql], i) => ({ version: i + 1, name: file.slice(7, -4), checksum: sha256(sql) })));
    expect(await query(url, 'select id from things order by id')).toEqual([{ id: 1 }, { id: 2 }]);
    expect(await migrate(url, undefined, dir)).toEqual([]);
    expect((await migrationStatus(url, dir)).map((s) => s.state)).toEqual(['applied', 'applied', 'applied']);
  });

  it('applies only what is pending and reports it as pending until then', async () => {
    const url = await createEmptyDatabase();
    const dir = migrationsDir({ '000001_accounts.sql': FILES['000001_accounts.sql'] });
    await migrate(url, undefined, dir);
    fs.writeFileSync(path.join(dir, '000002_more.sql'), FILES['000002_more.sql']);
    expect((await migrationStatus(url, dir)).map((s) => [s.version, s.state])).toEqual([[1, 'applied'], [2, 'pending']]);
    expect(await migrate(url, undefined, dir)).toEqual([2]);
  });

  it('refuses to run when an applied migration file has changed', async () => {
    const url = await createEmptyDatabase();
    const dir = migrationsDir(FILES);
    await migrate(url, undefined, dir);
    fs.writeFileSync(path.join(dir, '000001_accounts.sql'), `${FILES['000001_accounts.sql']}\n-- edited`);
    fs.writeFileSync(path.join(dir, '000004_later.sql'), 'create table later (id int);');
    const err = await migrate(url, undefined, dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PurseError);
    expect(err).toMatchObject({ code: 'migration_changed', exitCode: 1, field: '000001_accounts.sql' });
    expect(await query(url, `select to_regclass('later') as t`)).toEqual([{ t: null }]); // nothing else ran
    expect((await migrationStatus(url, dir)).map((s) => s.state)).toEqual(['changed', 'applied', 'applied', 'pending']);
  });

  it('rolls back a failing migration whole and keeps the ones before it', async () => {
    const url = await createEmptyDatabase();
    const dir = migrationsDir({
      '000001_accounts.sql': FILES['000001_accounts.sql'],
      '000002_broken.sql': 'create table half (id int);\nselect * from no_such_table;',
    });
    await expect(migrate(url, undefined, dir)).rejects.toMatchObject({ code: 'migration_failed' });
    expect(await query(url, 'select version from schema_migrations')).toEqual([{ version: 1 }]);
    expect(await query(url, `select to_regclass('half') as t`)).toEqual([{ t: null }]);
  });

  it('is safe to run twice at once: both succeed and each migration is applied once', async () => {
    const url = await createEmptyDatabase();
    // A slow first migration keeps the first run inside the lock while the second arrives.
    const dir = migrationsDir({ ...FILES, '000001_accounts.sql': `select pg_sleep(0.3);\n${FILES['000001_accounts.sql']}` });
    const [a, b] = await Promise.all([migrate(url, undefined, dir), migrate(url, undefined, dir)]);
    expect([...a, ...b].sort()).toEqual([1, 2, 3]);
    expect([a.length, b.length].sort()).toEqual([0, 3]);
    expect(await query(url, 'select count(*)::int as n from schema_migrations')).toEqual([{ n: 3 }]);
    expect(await query(url, 'select count(*)::int as n from things')).toEqual([{ n: 2 }]);
  });

  it('refuses a file not named NNNNNN_name.sql', async () => {
    const dir = migrationsDir({ ...FILES, '7_bad name.sql': 'select 1;' });
    await expect(readMigrations(dir)).rejects.toMatchObject({ code: 'migration_name', field: '7_bad name.sql' });
  });
});

describe('purse db migrate | status', () => {
  const envFor = (url: string) => ({ ...process.env, DATABASE_URL: url, PURSE_KEYS: inject('keysJson'), LOG_LEVEL: 'warn' });

  it('migrates an empty database and reports every migration applied', async () => {
    const url = await createEmptyDatabase();
    const versions = (await readMigrations()).map((m) => m.version);
    const before = await runCli(['db', 'status', '--json'], envFor(url));
    expect(before.code).toBe(0);
    expect(JSON.parse(before.stdout).map((s: { state: string }) => s.state)).toEqual(versions.map(() => 'pending'));
    const run = await runCli(['db', 'migrate', '--json'], envFor(url));
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ applied: versions });
    const after = await runCli(['db', 'status', '--json'], envFor(url));
    const status = JSON.parse(after.stdout) as { version: number; name: string; state: string; appliedAt: string }[];
    expect(status.map((s) => [s.version, s.state])).toEqual(versions.map((v) => [v, 'applied']));
    expect(status.every((s) => !Number.isNaN(Date.parse(s.appliedAt)))).toBe(true);
    const again = await runCli(['db', 'migrate'], envFor(url));
    expect([again.code, again.stdout]).toEqual([0, 'up to date\n']);
  });

  it('exits 1 from status and migrate when an applied migration changed', async () => {
    const url = await createEmptyDatabase();
    await migrate(url);
    await query(url, `update schema_migrations set checksum = 'edited' where version = 1`);
    const status = await runCli(['db', 'status', '--json'], envFor(url));
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout)[0]).toMatchObject({ version: 1, state: 'changed' });
    const run = await runCli(['db', 'migrate'], envFor(url));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/applied migration 000001_registry\.sql has changed/);
  });
});
