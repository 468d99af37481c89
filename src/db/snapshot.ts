import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { InputError, InvariantError } from '../errors.js';
import { mapDbError } from './errors.js';

/** One table of a snapshot: its COPY text file, the columns in it, its row count and SHA-256. */
export interface SnapshotTable { name: string; columns: string[]; file: string; rows: number; sha256: string }
export interface SnapshotSequence { name: string; lastValue: string; isCalled: boolean }
export interface SnapshotMigration { version: number; name: string; checksum: string }

/** What a snapshot holds, in the order a restore loads it (parents before the tables referring to them). */
export interface Snapshot {
  migrations: SnapshotMigration[];
  tables: SnapshotTable[];
  sequences: SnapshotSequence[];
  serverVersion: string;
}

const q = (name: string) => pg.escapeIdentifier(name);

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: 'purse-backup', connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined); // surfaces on the next query
  try {
    await client.connect();
  } catch (err) {
    throw mapDbError(err);
  }
  return client;
}

/**
 * The schema's tables (not schema_migrations, not partitions) in load order: a table after every
 * table its foreign keys refer to (self-references load in one COPY and are checked at its end).
 */
async function tablesInOrder(client: pg.ClientBase): Promise<{ name: string; columns: string[] }[]> {
  const { rows: tables } = await client.query<{ oid: number; name: string; columns: string[] }>(`
    select c.oid::int as oid, c.relname as name,
           array(select a.attname::text from pg_attribute a
                 where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
                 order by a.attnum) as columns
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = current_schema() and c.relkind in ('r', 'p') and not c.relispartition and c.relname <> 'schema_migrations'
    order by c.relname`);
  const { rows: edges } = await client.query<{ child: number; parent: number }>(`
    select distinct conrelid::int as child, confrelid::int as parent from pg_constraint
    where contype = 'f' and conrelid <> confrelid and connamespace = (select oid from pg_namespace where nspname = current_schema())`);
  const parents = new Map<number, Set<number>>(tables.map((t) => [t.oid, new Set<number>()]));
  for (const e of edges) parents.get(e.child)?.add(e.parent);
  const ordered: typeof tables = [];
  const done = new Set<number>();
  while (ordered.length < tables.length) {
    const next = tables.find((t) => !done.has(t.oid) && [...parents.get(t.oid)!].every((p) => done.has(p) || !parents.has(p)));
    if (!next) throw new InvariantError('backup_cycle', 'the schema has a cycle of foreign keys between tables: no load order exists');
    done.add(next.oid);
    ordered.push(next);
  }
  return ordered.map((t) => ({ name: t.name, columns: t.columns }));
}

/**
 * Tables whose rows the migrations insert (reference data): a freshly migrated database already
 * holds them, so a restore checks them instead of loading them. test/db/backup.test.ts keeps this
 * list equal to the tables a new database has rows in.
 */
export const MIGRATION_SEEDED: ReadonlySet<string> = new Set(['entry_kinds']);

/** SHA-256 of a table's COPY text, as a snapshot file of it hashes. */
async function tableHash(client: pg.ClientBase, t: { name: string; columns: string[] }): Promise<string> {
  const m = meter();
  await pipeline(client.query(copyTo(`copy (select ${t.columns.map(q).join(', ')} from ${q(t.name)}) to stdout`)), m, new Writable({ write: (_c, _e, done) => done() }));
  return m.hash.digest('hex');
}

/** Counts lines (= rows in COPY text format) and hashes what passes through. */
function meter(): Transform & { rows: number; hash: crypto.Hash } {
  const hash = crypto.createHash('sha256');
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) m.rows++;
      done(null, chunk);
    },
  });
  const m = Object.assign(t, { rows: 0, hash });
  return m;
}

/**
 * Writes a consistent snapshot of the database at `url` into `dir` (which must exist and be
 * empty): one COPY file per table, all read in one REPEATABLE READ READ ONLY transaction, so the
 * files agree with each other while the daemon keeps writing. Sequence positions are read inside
 * it too (a sequence is never behind the rows using it, possibly ahead: gaps only).
 */
export async function writeSnapshot(url: string, dir: string): Promise<Snapshot> {
  const client = await connect(url);
  try {
    await client.query('begin isolation level repeatable read read only');
    const { rows: migrations } = await client.query<SnapshotMigration>('select version, name, checksum from schema_migrations order by version')
      .catch((err: { code?: string }) => {
        if (err.code === '42P01') throw new InputError('not_migrated', 'the database has no schema_migrations table: it is not a Purse database', 'DATABASE_URL');
        throw err;
      });
    const serverVersion = (await client.query<{ v: string }>('show server_version')).rows[0]!.v;
    const tables: SnapshotTable[] = [];
    for (const [i, t] of (await tablesInOrder(client)).entries()) {
      const file = `${String(i + 1).padStart(3, '0')}_${t.name}.copy`;
      const m = meter();
      const cols = t.columns.map(q).join(', ');
      await pipeline(client.query(copyTo(`copy (select ${cols} from ${q(t.name)}) to stdout`)), m, fs.createWriteStream(path.join(dir, file), { mode: 0o600 }));
      tables.push({ name: t.name, columns: t.columns, file, rows: m.rows, sha256: m.hash.digest('hex') });
    }
    const { rows: seqs } = await client.query<{ name: string }>(`
      select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind = 'S' order by c.relname`);
    const sequences: SnapshotSequence[] = [];
    for (const s of seqs) {
      const { rows } = await client.query<{ last_value: string; is_called: boolean }>(`select last_value::text as last_value, is_called from ${q(s.name)}`);
      sequences.push({ name: s.name, lastValue: rows[0]!.last_value, isCalled: rows[0]!.is_called });
    }
    await client.query('commit');
    return { migrations, tables, sequences, serverVersion };
  } catch (err) {
    throw mapDbError(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Checks every table file of `snapshot` in `dir` against its SHA-256 (before anything is loaded). */
export async function checkSnapshotFiles(dir: string, snapshot: Snapshot): Promise<void> {
  for (const t of snapshot.tables) {
    if (!/^\d{3}_[a-z0-9_]+\.copy$/.test(t.file)) throw new InputError('backup_manifest', `manifest names a bad file ${JSON.stringify(t.file)}`, 'tables');
    const hash = crypto.createHash('sha256');
    try {
      await pipeline(fs.createReadStream(path.join(dir, t.file)), hash);
    } catch {
      throw new InputError('backup_incomplete', `${t.file} is missing from ${dir}`, t.file);
    }
    if (hash.digest('hex') !== t.sha256) throw new InputError('backup_corrupt', `${t.file} does not match its SHA-256 in the manifest`, t.file);
  }
}

/**
 * Loads `snapshot` from `dir` into the database at `url`, whose schema must already be at the
 * snapshot's migrations and whose tables must all be empty: every table by COPY in load order and
 * every sequence set, in one transaction (all or nothing; the ledger's balance trigger checks the
 * postings as they arrive). Returns the rows loaded.
 */
export async function loadSnapshot(url: string, dir: string, snapshot: Snapshot): Promise<number> {
  const client = await connect(url);
  try {
    const { rows: applied } = await client.query<SnapshotMigration>('select version, name, checksum from schema_migrations order by version');
    const key = (m: SnapshotMigration) => `${m.version}:${m.checksum}`;
    if (applied.map(key).join(',') !== snapshot.migrations.map(key).join(',')) {
      throw new InputError('backup_schema', 'the target database is not at the backup\'s schema version', 'migrations');
    }
    const current = new Set((await tablesInOrder(client)).map((t) => t.name));
    for (const t of snapshot.tables) if (!current.has(t.name)) throw new InputError('backup_schema', `table ${t.name} of the backup does not exist in the target`, t.name);
    await client.query('begin');
    // Reference data the migrations themselves insert is already in a new database: such a table
    // must hold exactly the backup's rows and is left as it is; any other data refuses the restore.
    const seeded = new Set<string>();
    for (const t of snapshot.tables) {
      const { rowCount } = await client.query(`select 1 from ${q(t.name)} limit 1`);
      if (!rowCount) continue;
      if (!MIGRATION_SEEDED.has(t.name) || (await tableHash(client, t)) !== t.sha256) {
        throw new InputError('restore_not_empty', `the target database already holds data (table ${t.name}): restore only into a new database`, t.name);
      }
      seeded.add(t.name);
    }
    let total = 0;
    for (const t of snapshot.tables) {
      if (seeded.has(t.name)) {
        total += t.rows;
        continue;
      }
      const sink = client.query(copyFrom(`copy ${q(t.name)} (${t.columns.map(q).join(', ')}) from stdin`));
      await pipeline(fs.createReadStream(path.join(dir, t.file)), sink);
      if (sink.rowCount !== t.rows) throw new InvariantError('restore_count', `${t.file}: loaded ${sink.rowCount} rows, the manifest says ${t.rows}`);
      total += sink.rowCount;
    }
    for (const s of snapshot.sequences) {
      await client.query('select setval($1::regclass, $2::bigint, $3)', [q(s.name), s.lastValue, s.isCalled]);
    }
    await client.query('commit');
    return total;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw mapDbError(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}
