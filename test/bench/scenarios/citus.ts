// `npm run bench auth -- --citus` (design §9): the real-traffic closed loop (purchases on uniformly
// random cards, issued and loaded by the CLI with the daemon up) on a single PostgreSQL 15 database
// and on a Citus database of the same local cluster (the single one lives on the coordinator's
// server: same build, same machine, same run), with the share of the daemon's card-writing
// transactions that committed on one node without two-phase commit.
//
//   PURSE_CITUS_URL=postgres://postgres@127.0.0.1:9740/postgres   a running cluster (else one is started
//                                                                  on PURSE_CITUS_PORT, default 9740)
//   BENCH_CITUS_CARDS=5000 BENCH_CITUS_SECONDS=20 BENCH_CONNECTIONS=64
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { generateKeyringJson } from '../../../src/cards/keys.js';
import { clusterDown, clusterUp, createClusterDatabase, dropClusterDatabase } from '../../../test-citus/helpers/cluster-db.js';
import { batchCounters, daemonMetrics, settings } from '../auth-observe.js';
import { fmt } from '../machine.js';
import { generate, purseCli, startDaemon, stopProcess, type Daemon, type PurseEnv } from './processes.js';
import { issueWithCli, loadWithCli, registry } from './world.js';
import { check, info, printSummary } from './summary.js';

const CARDS = Number(process.env.BENCH_CITUS_CARDS ?? 5_000);
const SECONDS = Number(process.env.BENCH_CITUS_SECONDS ?? 20);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);

/** One server's run: approved purchases per second, the daemon's committed batch transactions, and those of them that used 2PC. */
interface Side {
  tps: number; approved: number; other: Record<string, number>; batches: number; transactions: number; twoPhase: number | null; verify: string;
  /** Mean messages per batch and mean batch duration (ms), from the daemon's histograms over the loop. */
  size: number; ms: number;
}

async function one<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows[0]!;
  } finally {
    await c.end();
  }
}

/**
 * Distributed transactions the coordinator committed with two-phase commit, as recorded in
 * pg_dist_transaction (one row per prepared transaction per node, gid
 * citus_<group>_<pid>_<transaction number>_<connection>): one distinct (pid, number) per transaction.
 * The rows stay while the maintenance daemon's 2PC recovery is off (run() turns it off).
 */
async function twoPhaseCommits(url: string): Promise<number> {
  const r = await one<{ n: string }>(url, `select count(distinct split_part(gid, '_', 3) || ':' || split_part(gid, '_', 4))::text as n from pg_dist_transaction`);
  return Number(r.n);
}

const counters = async (d: Daemon) => batchCounters(await daemonMetrics([d.url]));

/** Registry, daemon, cards issued and loaded by the CLI, a 2 s warm-up, then the measured closed loop. */
async function side(url: string, citus: boolean, home: string): Promise<Side> {
  const env: PurseEnv = { url, keysJson: generateKeyringJson(), home: fs.mkdtempSync(path.join(home, citus ? 'cluster-' : 'single-')) };
  const acquirer = await registry(env);
  const daemon = await startDaemon(env, path.join(env.home, 'daemon.log'));
  try {
    console.error(`auth --citus (${citus ? 'cluster' : 'single server'}): ${CARDS} cards issued and loaded by the CLI…`);
    const { pans } = await issueWithCli(env, CARDS, 'real', true);
    await loadWithCli(env, pans, 50_000, 'initial');
    const cfg = { urls: [daemon.url], ...acquirer, pans };
    await generate(cfg, [{ name: 'warm', kind: 'closed', connections: CONNECTIONS, seconds: 2 }], env.home);
    const m0 = await counters(daemon);
    const p0 = citus ? await twoPhaseCommits(url) : 0;
    console.error(`auth --citus (${citus ? 'cluster' : 'single server'}): closed loop ${SECONDS} s…`);
    const [r] = await generate(cfg, [{ name: 'real', kind: 'closed', connections: CONNECTIONS, seconds: SECONDS }], env.home);
    const m1 = await counters(daemon);
    const d = (k: string) => (m1.get(k) ?? 0) - (m0.get(k) ?? 0);
    const batches = d('purse_batches_total');
    // The card-writing database transactions: one per batch on a single server, one per shard group of a batch on Citus.
    const transactions = d('purse_batch_transactions_total');
    const twoPhase = citus ? (await twoPhaseCommits(url)) - p0 : null;
    await stopProcess(daemon.child);
    const verify = await purseCli<{ ok: boolean; entries: number; postings: number }>(env, ['ledger', 'verify'])
      .then((v) => (v.out.ok ? `clean (${v.out.entries} entries, ${v.out.postings} postings)` : 'BROKEN'))
      .catch((err: unknown) => `BROKEN: ${String(err).slice(-300)}`);
    return {
      tps: r!.tps, approved: r!.approved, other: r!.other, batches, transactions, twoPhase, verify,
      size: d('purse_batch_size_sum') / d('purse_batch_size_count'), ms: (1000 * d('purse_batch_duration_seconds_sum')) / d('purse_batch_duration_seconds_count'),
    };
  } finally {
    if (daemon.child.exitCode === null) await stopProcess(daemon.child);
  }
}

const describe = (x: Side) =>
  `${fmt(x.tps)} (${x.batches} batches of ${fmt(x.size, 1)} messages, ${fmt(x.ms, 1)} ms each on average, in ${x.transactions} database transactions; other answers ${JSON.stringify(x.other)})`;

/** The --citus run of the authorization bench. */
export async function runCitus(): Promise<void> {
  const started = Date.now();
  const given = process.env.PURSE_CITUS_URL;
  const port = Number(process.env.PURSE_CITUS_PORT ?? 9740);
  const cluster = given ? { dir: null, url: given } : clusterUp(port);
  const base = cluster.url;
  const workers = [Number(new URL(base).port) + 1, Number(new URL(base).port) + 2];
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-bench-citus-'));
  const made: { name: string; ports: number[] }[] = [];
  const load = `load average at start ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`;
  try {
    // Keep every 2PC record of the run: the maintenance daemon's recovery would delete them.
    await one(base, 'alter system set citus.recover_2pc_interval = -1');
    await one(base, 'select pg_reload_conf()');
    const single = await createClusterDatabase(base, workers, 'bench_citus_single', false);
    made.push({ name: 'bench_citus_single', ports: single.ports });
    const durability = await settings(single.url, ['server_version', 'fsync', 'synchronous_commit']);
    const s = await side(single.url, false, home);
    const dist = await createClusterDatabase(base, workers, 'bench_citus_cluster', true);
    made.push({ name: 'bench_citus_cluster', ports: dist.ports });
    const c = await side(dist.url, true, home);
    const share = c.transactions > 0 ? (c.transactions - c.twoPhase!) / c.transactions : NaN;
    const shards = await one<{ n: string; nodes: string }>(dist.url,
      `select count(*)::text as n, count(distinct nodeport)::text as nodes from pg_dist_shard join pg_dist_placement using (shardid) join pg_dist_node using (groupid) where logicalrelid = 'cards'::regclass`);
    printSummary(`authorization on Citus: real traffic on ${fmt(CARDS)} cards, closed loop ${SECONDS} s, ${CONNECTIONS} connections`, [
      info('single server (PostgreSQL 15, the coordinator\'s server): approved purchases/s', describe(s)),
      info(`Citus (coordinator + ${shards.nodes} workers, ${shards.n} card shards): approved purchases/s`, describe(c)),
      info('Citus / single server', fmt(c.tps / s.tps, 2)),
      check('card-writing transactions on one shard group, committed without 2PC', `${fmt(100 * share, 1)}% (${c.twoPhase} of ${c.transactions} used two-phase commit)`, '100%', share === 1),
      check('purse ledger verify, single server', s.verify, 'clean', s.verify.startsWith('clean')),
      check('purse ledger verify, Citus', c.verify, 'clean', c.verify.startsWith('clean')),
    ]);
    console.log(`  conditions: ${durability}; ${os.cpus().length} CPUs, ${load}, at end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; ${Math.round((Date.now() - started) / 1000)} s in all`);
  } finally {
    await one(base, 'alter system reset citus.recover_2pc_interval').catch(() => undefined);
    await one(base, 'select pg_reload_conf()').catch(() => undefined);
    for (const m of made) await dropClusterDatabase(base, m.ports, m.name);
    fs.rmSync(home, { recursive: true, force: true });
    if (cluster.dir) clusterDown(cluster.dir);
  }
}
