// One measured closed loop of the authorization bench, with what it cost: WAL bytes and index
// entries per approved purchase, the machine's and the daemons' CPU, and the daemons' batch counters.
import pg from 'pg';
import type { PhaseResult } from '../auth-load.js';
import { batchCounters, batchDelta, daemonMetrics, ioCounters } from '../auth-observe.js';
import { busyShare, cpuOf, fmt, machineCpu, serverCpu } from '../machine.js';
import { postmasterOf } from './pgbench.js';
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
  /** WAL bytes (whole server, flushed position over the loop) per approved purchase. */
  walPerPurchase: number;
  /** Of the WAL, bytes of full-page images per purchase (the first change to a page after a checkpoint logs it whole), and checkpoints started in the loop. */
  fpiPerPurchase: number;
  checkpoints: number;
  /** B-tree leaf entries added per approved purchase (WAL records). */
  indexPerPurchase: number;
  /** Heap records per approved purchase and the WAL's largest record kinds. */
  rowsPerPurchase: string;
  machine: string;
  /** Context switches of the whole machine per approved purchase (/proc/stat). */
  switchesPerPurchase: number;
  daemonCpuMs: number;
  /** CPU ms per approved purchase of the PostgreSQL server (all its processes) and of the load generator. */
  serverCpuMs: number;
  generatorCpuMs: number;
  batches: string;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

const flushPosition = async (url: string) => (await query<{ lsn: string }>(url, 'select pg_current_wal_flush_lsn()::text as lsn'))[0]!.lsn;

/** What the WAL between two positions holds, from pg_walinspect (PostgreSQL 15+; null without it). */
async function walBetween(url: string, from: string, to: string): Promise<{ fpi: number; kinds: Map<string, { count: number; bytes: number }> } | null> {
  const rows = await query<{ kind: string; count: string; bytes: string; fpi: string }>(url, `
    select "resource_manager/record_type" as kind, count::text, combined_size::text as bytes, fpi_size::text as fpi
    from pg_get_wal_stats('${from}', '${to}', true) where count > 0`).catch(() => null);
  if (!rows) return null;
  const kinds = new Map(rows.map((r) => [r.kind, { count: Number(r.count), bytes: Number(r.bytes) }]));
  return { fpi: rows.reduce((s, r) => s + Number(r.fpi), 0), kinds };
}

/** Makes pg_walinspect available in the bench database, when the server has it. */
export async function enableWalInspect(url: string): Promise<boolean> {
  return query(url, 'create extension if not exists pg_walinspect').then(() => true, () => false);
}

// B-tree records that add a leaf entry: a plain insert, one into a posting list, and a page split
// (a split's record carries the entry that caused it).
const INDEX_ENTRY = ['Btree/INSERT_LEAF', 'Btree/INSERT_POST', 'Btree/SPLIT_L', 'Btree/SPLIT_R'];

/**
 * Runs one closed loop of `seconds` on `pans` over `urls` (default: the first daemon) and measures
 * it. WAL bytes are the server's flushed WAL over the loop; index entries and heap rows are
 * counted from the WAL records themselves (pg_walinspect), so they need no statistics collector.
 */
export async function closedLoop(
  b: Bench, opts: { name: string; pans: readonly string[]; seconds: number; daemons?: Daemon[]; onStart?: (at: number) => void },
): Promise<Closed> {
  const daemons = opts.daemons ?? [b.daemon];
  const urls = daemons.map((d) => d.url);
  const m0 = batchCounters(await daemonMetrics(urls));
  const cpu0 = daemons.reduce((s, d) => s + cpuOf(d.child.pid), 0);
  const postmaster = await postmasterOf(b.url);
  const server0 = serverCpu(postmaster);
  let machine0 = machineCpu();
  const lsn0 = await flushPosition(b.url);
  const checkpoints0 = (await ioCounters(b.url)).checkpoints;
  const [result] = await generate({ urls, ...b.acquirer, pans: [...opts.pans] }, [{ name: opts.name, kind: 'closed', connections: b.connections, seconds: opts.seconds }], b.home, (_, at) => {
    machine0 = machineCpu(); // from the first request on, not while the generator signs
    opts.onStart?.(at);
  });
  const machine1 = machineCpu();
  const machine = busyShare(machine0, machine1);
  const cpu = daemons.reduce((s, d) => s + cpuOf(d.child.pid), 0) - cpu0;
  const serverCpuSeconds = serverCpu(postmaster) - server0;
  const lsn1 = await flushPosition(b.url);
  const checkpoints = (await ioCounters(b.url)).checkpoints - checkpoints0;
  const m1 = batchCounters(await daemonMetrics(urls));
  const n = Math.max(1, result!.approved);
  const walBytes = Number((await query<{ b: string }>(b.url, `select pg_wal_lsn_diff('${lsn1}', '${lsn0}')::text as b`))[0]!.b);
  const wal = await walBetween(b.url, lsn0, lsn1);
  const per = (k: string) => (wal?.kinds.get(k)?.count ?? 0) / n;
  const top = wal ? [...wal.kinds].sort((x, y) => y[1].bytes - x[1].bytes).slice(0, 6)
    .map(([k, v]) => `${k} ${fmt(v.count / n, 2)}× ${fmt(v.bytes / n)} B`).join(', ') : 'n/a (no pg_walinspect)';
  return {
    result: result!, tps: result!.tps,
    walPerPurchase: walBytes / n, fpiPerPurchase: wal ? wal.fpi / n : NaN, checkpoints,
    indexPerPurchase: wal ? INDEX_ENTRY.reduce((s, k) => s + per(k), 0) : NaN,
    rowsPerPurchase: `heap inserts ${fmt(per('Heap/INSERT') + per('Heap/INSERT+INIT'), 2)}, updates ${fmt(per('Heap/UPDATE') + per('Heap/HOT_UPDATE') + per('Heap/UPDATE+INIT') + per('Heap/HOT_UPDATE+INIT'), 2)}, row locks ${fmt(per('Heap/LOCK'), 2)}; largest WAL records per purchase: ${top}`,
    machine, switchesPerPurchase: machine0 && machine1 ? (machine1.switches - machine0.switches) / n : NaN, daemonCpuMs: (1000 * cpu) / n, serverCpuMs: (1000 * serverCpuSeconds) / n, generatorCpuMs: (1000 * result!.cpuSeconds) / n, batches: batchDelta(m0, m1, result!.seconds),
  };
}

/** One line describing a measured closed loop. */
export function describeClosed(c: Closed, connections: number): string {
  return `${fmt(c.tps)} approved/s over ${c.result.seconds} s, ${connections} connections, other answers ${JSON.stringify(c.result.other)}; `
    + `WAL ${fmt(c.walPerPurchase)} B (full-page images ${fmt(c.fpiPerPurchase)} B; ${c.checkpoints} checkpoints started) and ${fmt(c.indexPerPurchase, 1)} index entries per purchase; ${c.rowsPerPurchase}; `
    + `machine CPU ${c.machine} busy, ${fmt(c.switchesPerPurchase, 1)} context switches per purchase; CPU ms per purchase: daemon ${fmt(c.daemonCpuMs, 3)}, PostgreSQL ${fmt(c.serverCpuMs, 3)}, load generator ${fmt(c.generatorCpuMs, 3)}; batches: ${c.batches}`;
}
