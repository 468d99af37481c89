// One measured closed loop of the authorization bench, with what it cost: WAL and index entries
// per approved purchase, the machine's and the daemons' CPU, and the daemons' batch counters.
import pg from 'pg';
import type { PhaseResult } from '../auth-load.js';
import { batchCounters, batchDelta, daemonMetrics } from '../auth-observe.js';
import { busyShare, cpuOf, fmt, machineCpu } from '../machine.js';
import { generate, type Daemon, type PurseEnv } from './processes.js';
import type { Acquirer } from './world.js';

/** What every scenario works with. */
export interface Bench extends PurseEnv {
  acquirer: Acquirer;
  /** The first daemon, up from the start of the run to its end. */
  daemon: Daemon;
  connections: number;
}

export interface Closed {
  result: PhaseResult;
  tps: number;
  /** WAL bytes (whole server) per approved purchase. */
  walPerPurchase: number;
  /** Index entries added per approved purchase, from the bench database's table counters. */
  indexPerPurchase: number;
  /** Heap rows inserted and non-HOT updates per approved purchase, and the tables written. */
  rowsPerPurchase: string;
  machine: string;
  daemonCpuMs: number;
  batches: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

interface TableCounts { ins: number; nonHot: number; indexes: number }

/**
 * Rows inserted and non-HOT updates so far per table of the bench database, with its index count.
 * Backends report their counters at most once a second once idle, so readings wait 1.1 s first.
 */
async function tableCounts(url: string): Promise<Map<string, TableCounts>> {
  await sleep(1100);
  const rows = await query<{ relname: string; ins: string; non_hot: string; indexes: number }>(url, `
    select s.relname, s.n_tup_ins as ins, s.n_tup_upd - s.n_tup_hot_upd as non_hot,
           (select count(*)::int from pg_index i where i.indrelid = s.relid) as indexes
    from pg_stat_user_tables s`);
  return new Map(rows.map((r) => [r.relname, { ins: Number(r.ins), nonHot: Number(r.non_hot), indexes: r.indexes }]));
}

const walPosition = async (url: string) => Number((await query<{ b: string }>(url, `select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text as b`))[0]!.b);

/**
 * Runs one closed loop of `seconds` on `pans` over `urls` (default: the first daemon) and measures
 * it. Index entries are counted as rows inserted plus non-HOT updates, times the table's indexes
 * (a partial index that skips the row is counted all the same: an upper bound).
 */
export async function closedLoop(
  b: Bench, opts: { name: string; pans: readonly string[]; seconds: number; daemons?: Daemon[]; onStart?: (at: number) => void },
): Promise<Closed> {
  const daemons = opts.daemons ?? [b.daemon];
  const urls = daemons.map((d) => d.url);
  const t0 = await tableCounts(b.url);
  const wal0 = await walPosition(b.url);
  const m0 = batchCounters(await daemonMetrics(urls));
  const cpu0 = daemons.reduce((s, d) => s + cpuOf(d.child.pid), 0);
  let machine0 = machineCpu();
  const [result] = await generate({ urls, ...b.acquirer, pans: [...opts.pans] }, [{ name: opts.name, kind: 'closed', connections: b.connections, seconds: opts.seconds }], b.home, (_, at) => {
    machine0 = machineCpu(); // from the first request on, not while the generator signs
    opts.onStart?.(at);
  });
  const machine = busyShare(machine0, machineCpu());
  const cpu = daemons.reduce((s, d) => s + cpuOf(d.child.pid), 0) - cpu0;
  const wal = (await walPosition(b.url)) - wal0;
  const m1 = batchCounters(await daemonMetrics(urls));
  const t1 = await tableCounts(b.url);
  const n = Math.max(1, result!.approved);
  let index = 0;
  let ins = 0;
  let nonHot = 0;
  const written: string[] = [];
  for (const [table, after] of t1) {
    const before = t0.get(table) ?? { ins: 0, nonHot: 0, indexes: after.indexes };
    const di = after.ins - before.ins;
    const du = after.nonHot - before.nonHot;
    if (di + du <= 0) continue;
    written.push(`${table} ${fmt(di / n, 2)}+${fmt(du / n, 2)}u×${after.indexes}ix`);
    ins += di;
    nonHot += du;
    index += (di + du) * after.indexes;
  }
  return {
    result: result!, tps: result!.tps, walPerPurchase: wal / n, indexPerPurchase: index / n,
    rowsPerPurchase: `${fmt(ins / n, 2)} rows inserted, ${fmt(nonHot / n, 2)} non-HOT updates (${written.join(', ') || 'none'})`,
    machine, daemonCpuMs: (1000 * cpu) / n, batches: batchDelta(m0, m1, result!.seconds),
  };
}

/** One line describing a measured closed loop. */
export function describeClosed(c: Closed, connections: number): string {
  return `${fmt(c.tps)} approved/s over ${c.result.seconds} s, ${connections} connections, other answers ${JSON.stringify(c.result.other)}; `
    + `WAL ${fmt(c.walPerPurchase)} B and ≤ ${fmt(c.indexPerPurchase, 1)} index entries per purchase; ${c.rowsPerPurchase}; `
    + `machine CPU ${c.machine} busy, daemon CPU ${fmt(c.daemonCpuMs, 3)} ms per purchase; batches: ${c.batches}`;
}
