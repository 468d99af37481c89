import pg from 'pg';
import type { ClientConfigurationInput, DatabasePool } from 'slonik';
import { InvariantError } from '../errors.js';

/** int8 as a JS number, refusing anything beyond 2^53 rather than silently losing fen. */
export function parseSafeInt(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new InvariantError('unsafe_integer', `integer ${text} exceeds 2^53`);
  return n;
}

const OID_INT8 = 20;
const OID_DATE = 1082;
const OID_NUMERIC = 1700;

/** Type parsers shared by every pg connection: int8 → number (checked), date → 'YYYY-MM-DD', numeric → string. */
export const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === OID_INT8) return parseSafeInt;
    if (oid === OID_DATE || oid === OID_NUMERIC) return (s: string) => s;
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as unknown as pg.CustomTypesConfig;

/** The two database handles of a Context: `pg` for the hot path and COPY, `sql` (slonik) for the control plane. */
export interface Db {
  pg: pg.Pool;
  sql: DatabasePool;
  url: string;
  close(): Promise<void>;
}

/**
 * Opens both pools on `url`. Nothing connects until first use. With `keepIdle` (a long-running
 * process: the daemon) the hot-path pool never closes an idle connection: with pg's default of
 * 10 s, a connection the daemon wanted only now and then was closed and opened again about every
 * 10 s under load, each time a new backend, a SCRAM authentication and its named statements
 * prepared again. The pool is bounded by `poolSize` either way.
 * `statementTimeoutMs` (> 0) makes the server cancel any statement of the hot-path pool that runs
 * longer (the daemon: a lock wait or a runaway query must not hold an authorization connection
 * forever); the control-plane pool keeps slonik's own 60 s statement timeout.
 */
export async function openDb(url: string, opts: { poolSize: number; applicationName?: string; keepIdle?: boolean; statementTimeoutMs?: number }): Promise<Db> {
  const pool = new pg.Pool({
    ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs, idle_in_transaction_session_timeout: opts.statementTimeoutMs } : {}),
    connectionString: url,
    max: opts.poolSize,
    idleTimeoutMillis: opts.keepIdle ? 0 : 10_000,
    types: pgTypes,
    connectionTimeoutMillis: 5000,
    application_name: opts.applicationName ?? 'purse',
  });
  pool.on('error', () => undefined); // idle-client errors surface on the next query instead
  const sql = lazyPool(url, {
    maximumPoolSize: 4,
    captureStackTrace: false,
    typeParsers: [
      { name: 'int8', parse: parseSafeInt },
      { name: 'date', parse: (s: string) => s },
      { name: 'numeric', parse: (s: string) => s },
      { name: 'timestamptz', parse: (s: string) => new Date(s).toISOString() },
    ],
  });
  return {
    pg: pool,
    sql,
    url,
    async close() {
      await Promise.allSettled([pool.end(), sql.end()]);
    },
  };
}

/**
 * The control-plane pool, made (and slonik loaded) on its first use: slonik's modules take about
 * 60 ms of CPU to load, which a CLI command that never uses this pool (a bulk load beside the
 * daemon) does not spend. Every method of DatabasePool is asynchronous, so each call waits for the
 * pool and then makes it; `end` of a pool never made does nothing.
 */
function lazyPool(url: string, config: ClientConfigurationInput): DatabasePool {
  let made: Promise<DatabasePool> | undefined;
  const pool = () => (made ??= import('slonik').then(({ createPool }) => createPool(url, config)));
  return new Proxy({} as DatabasePool, {
    get(_target, name) {
      if (name === 'then') return undefined; // not a promise itself
      if (name === 'end') return async () => { if (made) await (await made).end(); };
      return (...args: unknown[]) => pool().then((p) => Reflect.apply(p[name as keyof DatabasePool] as (...a: unknown[]) => unknown, p, args));
    },
  });
}
