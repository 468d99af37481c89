import fs from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { InputError, InvariantError, PurseError } from '../errors.js';
import type { Logger } from '../logger.js';
import { isUnavailable, mapDbError } from './errors.js';

/** sql/migrations at the package root (from src/db or dist/db alike). */
export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../sql/migrations');

export interface MigrationFile { version: number; name: string; file: string; checksum: string; sql: string }
export interface MigrationStatus { version: number; name: string; state: 'applied' | 'pending' | 'changed'; appliedAt: string | null }

/** Reads `NNNNNN_name.sql` files in version order; the checksum is the SHA-256 of the file. */
export async function readMigrations(dir = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const names = (await fs.readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
  const out: MigrationFile[] = [];
  for (const name of names) {
    const m = /^(\d{6})_([a-z0-9_]+)\.sql$/.exec(name);
    if (!m) throw new InputError('migration_name', `migration file ${name} is not named NNNNNN_name.sql`, name);
    const sql = await fs.readFile(path.join(dir, name), 'utf8');
    out.push({ version: Number(m[1]), name: m[2]!, file: name, sql, checksum: crypto.createHash('sha256').update(sql).digest('hex') });
  }
  return out;
}

const LOCK_KEY = 7_216_530_001; // pg_advisory_lock key reserved for migrations

const CREATE_TABLE = `
  create table if not exists schema_migrations (
    version    integer primary key,
    name       text not null,
    checksum   text not null,
    applied_at timestamptz not null default now()
  )`;

/** A single connection for schema work; a server that does not answer in 10 s counts as down. */
async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000, application_name: 'purse-migrate' });
  client.on('error', () => undefined); // a dropped connection surfaces on the next query instead
  try {
    await client.connect();
  } catch (err) {
    throw mapDbError(err);
  }
  return client;
}

/**
 * Applies pending migrations in order, each in its own transaction, under a session advisory lock
 * so two concurrent runs are safe (the second waits, then finds nothing to do). An applied
 * migration whose file changed is an error (exit 1). Returns the versions applied. `upTo`: apply
 * none above this version (a restore brings a new database to its backup's schema first).
 */
export async function migrate(url: string, logger?: Logger, dir = MIGRATIONS_DIR, opts: { upTo?: number } = {}): Promise<number[]> {
  const files = (await readMigrations(dir)).filter((f) => opts.upTo === undefined || f.version <= opts.upTo);
  const client = await connect(url);
  try {
    await client.query('select pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(CREATE_TABLE);
    const applied = await appliedChecksums(client);
    checkUnchanged(files, applied);
    const done: number[] = [];
    for (const f of files) {
      if (applied.has(f.version)) continue;
      await client.query('begin');
      try {
        await client.query(f.sql);
        await client.query('insert into schema_migrations (version, name, checksum) values ($1, $2, $3)', [f.version, f.name, f.checksum]);
        await client.query('commit');
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        if (isUnavailable(err)) throw mapDbError(err);
        throw new InvariantError('migration_failed', `migration ${f.file} failed: ${(err as Error).message}`);
      }
      logger?.info({ migration: f.file }, 'migration applied');
      done.push(f.version);
    }
    await distributeOnCitus(client, logger);
    return done;
  } catch (err) {
    throw mapDbError(err);
  } finally {
    await client.query('select pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

/** Each migration file and whether it is applied, pending, or changed since it was applied. */
export async function migrationStatus(url: string, dir = MIGRATIONS_DIR): Promise<MigrationStatus[]> {
  const files = await readMigrations(dir);
  const client = await connect(url);
  try {
    await client.query(CREATE_TABLE);
    const { rows } = await client.query<{ version: number; checksum: string; applied_at: Date }>('select version, checksum, applied_at from schema_migrations');
    const byVersion = new Map(rows.map((r) => [r.version, r]));
    return files.map((f) => {
      const row = byVersion.get(f.version);
      const state = !row ? 'pending' : row.checksum === f.checksum ? 'applied' : 'changed';
      return { version: f.version, name: f.name, state, appliedAt: row ? row.applied_at.toISOString() : null };
    });
  } catch (err) {
    throw mapDbError(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The Citus step (design §9): on a coordinator with the citus extension, places every table not
 * placed yet (purse_citus_distribute, migration 000230), in its own transaction after the
 * migrations; on a single server it does nothing.
 */
async function distributeOnCitus(client: pg.Client, logger?: Logger): Promise<void> {
  const { rows } = await client.query<{ citus: boolean; fn: boolean }>(
    `select exists (select 1 from pg_extension where extname = 'citus') as citus,
            to_regprocedure('purse_citus_distribute()') is not null as fn`);
  if (!rows[0]?.citus || !rows[0].fn) return;
  try {
    const placed = await client.query<{ placed: string[] }>('select purse_citus_distribute() as placed');
    const tables = placed.rows[0]?.placed ?? [];
    if (tables.length > 0) logger?.info({ tables }, 'citus: tables placed');
  } catch (err) {
    if (isUnavailable(err)) throw mapDbError(err);
    throw new InvariantError('citus_distribution_failed', `distributing the schema on Citus failed: ${(err as Error).message}`);
  }
}

async function appliedChecksums(client: pg.Client): Promise<Map<number, string>> {
  const { rows } = await client.query<{ version: number; checksum: string }>('select version, checksum from schema_migrations');
  return new Map(rows.map((r) => [r.version, r.checksum]));
}

function checkUnchanged(files: MigrationFile[], applied: Map<number, string>): void {
  for (const f of files) {
    const sum = applied.get(f.version);
    if (sum !== undefined && sum !== f.checksum) {
      throw new PurseError('migration_changed', `applied migration ${f.file} has changed since it was applied (checksum differs); migrations are forward-only: add a new one instead`, { field: f.file });
    }
  }
}
