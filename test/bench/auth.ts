// Authorization benchmark (design §7, issue 18): signed HTTP purchases against `purse serve` with
// durable commits, as an operator runs it, compared with pgbench tpcb-like on the same server in
// the same run.
//
//   npm run bench auth                                  every scenario (~10 minutes)
//   npm run bench auth -- --scenario real,hot           some of them: real, two-daemons, load, hot, fresh, sweep
//   BENCH_SCALE=0.1 npm run bench auth                  fewer cards and shorter phases, for a quick check
//   BENCH_CONNECTIONS=128                               closed-loop connections (default 64)
//   BENCH_SWEEP=128,256                                 connections of the sweep scenario's closed loops
//   BENCH_DAEMON_NODE_ARGS='--max-semi-space-size=32'   node options for the daemons only
//   npm run bench auth -- --citus                       real traffic on a local Citus cluster and a single server (scenarios/citus.ts)
//
// The daemon starts first, on a database holding only the registry; the cards are then issued and
// loaded with the CLI while it runs, and nothing restarts, vacuums or analyzes the bench database
// between the steps (the bench never does; the CLI's own ANALYZE of what it wrote is part of what
// is measured). The real-traffic closed loop is measured whatever the selection: the other
// scenarios are read against it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { benchDatabase } from './harness.js';
import { fmt, writebackSettings } from './machine.js';
import { settings } from './auth-observe.js';
import type { BenchOptions } from './run.js';
import { generateKeyringJson } from '../../src/cards/keys.js';
import { pgbench } from './scenarios/pgbench.js';
import { purseCli, startDaemon, stopProcess, type Daemon, type PurseEnv } from './scenarios/processes.js';
import { issueWithCli, loadWithCli, registry, sample } from './scenarios/world.js';
import { enableWalInspect, type Bench } from './scenarios/measure.js';
import { realTraffic, TARGET_P99_MS, OPEN_FRACTION, type Real } from './scenarios/real.js';
import { purchasesWhileLoading, twoDaemons } from './scenarios/mixed.js';
import { freshStatistics, hotCards } from './scenarios/hot-fresh.js';
import { connectionSweep, type Sweep } from './scenarios/sweep.js';
import { check, info, printSummary, type Row } from './scenarios/summary.js';
import { runCitus } from './scenarios/citus.js';

const SCENARIOS = ['real', 'two-daemons', 'load', 'hot', 'fresh', 'sweep'] as const;
type Scenario = (typeof SCENARIOS)[number];
const SCALE = Math.min(1, Math.max(0.02, Number(process.env.BENCH_SCALE ?? 1) || 1));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const SWEEP = connectionCounts(process.env.BENCH_SWEEP ?? '128,256');
const INITIAL_LOAD = 50_000; // half the anonymous maximum, leaving room for the load scenario's 100 fen
const TARGET_RATIO = 1.5;
const secs = (full: number, min: number) => Math.max(min, Math.round(full * SCALE));
const count = (full: number, min: number) => Math.max(min, Math.round(full * SCALE));

/** BENCH_SWEEP's connection counts: positive integers, comma-separated; anything else is an error naming it. */
function connectionCounts(raw: string): number[] {
  const counts = raw.split(',').map((x) => x.trim());
  const bad = counts.filter((x) => !/^[1-9]\d*$/.test(x));
  if (bad.length) throw new Error(`BENCH_SWEEP: ${bad.map((x) => JSON.stringify(x)).join(', ')} is not a connection count (e.g. BENCH_SWEEP=128,256)`);
  return counts.map(Number);
}

function scenarios(raw: string | undefined): Set<Scenario> {
  if (raw === undefined || raw === 'all') return new Set(SCENARIOS);
  const names = raw.split(',').map((s) => s.trim());
  const unknown = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; known: all, ${SCENARIOS.join(', ')}`);
  return new Set(names as Scenario[]);
}

export async function run(opts: BenchOptions = {}): Promise<void> {
  if (opts.citus) return runCitus();
  const wanted = scenarios(opts.scenario);
  const started = Date.now();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-bench-auth-'));
  const conditions = `${os.cpus().length} CPUs, load average at start ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, BENCH_SCALE=${SCALE}`;
  let daemon: Daemon | undefined;
  try {
    const db = await benchDatabase('bench_auth');
    const durability = await settings(db.url, ['fsync', 'synchronous_commit']);
    const serverSettings = await settings(db.url, ['server_version', 'max_wal_size', 'wal_init_zero', 'checkpoint_timeout', 'autovacuum', 'autovacuum_naptime']);
    if (durability !== 'fsync=on synchronous_commit=on') throw new Error(`the authorization bench needs durable commits; server has ${durability}`);
    const walInspect = await enableWalInspect(db.url);
    const benchSeconds = secs(30, 5);
    console.error(`auth: pgbench baseline (${benchSeconds} s, repeated at the end)…`);
    const baseline = await pgbench(db.adminUrl, benchSeconds);
    if (!baseline) console.error('auth: pgbench NOT FOUND (looked in /usr/lib/postgresql/15/bin and PATH): no baseline, no ratio');
    const before = baseline ? await baseline.run() : NaN;

    const env: PurseEnv = { url: db.url, keysJson: generateKeyringJson(), home };
    const acquirer = await registry(env);
    daemon = await startDaemon(env, path.join(home, 'daemon-1.log'));
    const cards = count(100_000, 2_000);
    console.error(`auth: daemon up; purse cards issue of ${cards} cards and purse cards load of ${cards} rows while it runs…`);
    const issued = await issueWithCli(env, cards, 'real', true);
    const pans = issued.pans;
    const initial = await loadWithCli(env, pans, INITIAL_LOAD, 'initial');
    let loaded = initial.amount;
    const b: Bench = { ...env, acquirer, daemon, connections: CONNECTIONS };

    const real: Real = await realTraffic(b, pans, { closed: secs(25, 5), open: secs(30, 8), warmup: secs(5, 2) }, wanted.has('real'));
    const rows: Row[] = [];
    const results: Record<string, string> = {};
    const peak = real.closed.tps;
    if (wanted.has('load')) {
      const w = await purchasesWhileLoading(b, pans, sample(pans, count(10_000, 500)), secs(30, 10));
      loaded += w.amount;
      const r = w.during / w.without;
      rows.push(check('purchases/s while a load file is applied / without it (same loop)', `${fmt(w.during)} / ${fmt(w.without)} = ${fmt(r, 2)}`, '≥ 0.8', r >= 0.8));
      const cpu = w.cpu;
      rows.push(info(`CPU of that load (${fmt(w.rows)} rows): purse process + its backends`, cpu.backends === null
        ? `${fmt(cpu.cli, 2)} s + n/a` : `${fmt(cpu.cli, 2)} s + ${fmt(cpu.backends, 2)} s = ${fmt(cpu.cli + cpu.backends, 2)} s`, 'lower is better'));
    }
    if (wanted.has('two-daemons')) {
      const t = await twoDaemons(b, pans, secs(25, 5));
      const r = t.closed.tps / peak;
      rows.push(check('two daemons together / one daemon (real traffic)', `${fmt(t.closed.tps)} / ${fmt(peak)} = ${fmt(r, 2)}`, '≥ 0.9', r >= 0.9));
      results.second = `second daemon exit ${t.exit} on SIGTERM`;
    }
    let hot = NaN;
    if (wanted.has('hot')) {
      hot = (await hotCards(b, sample(pans, count(10_000, 500)), secs(25, 5))).tps;
      rows.push(check('hot cards (each purchased before) / real traffic', `${fmt(hot)} / ${fmt(peak)} = ${fmt(hot / peak, 2)}`, '≥ 1.0', hot >= peak));
    }
    if (wanted.has('fresh')) {
      const f = await freshStatistics(b, pans, count(1_000_000, 10_000), secs(20, 5), secs(10, 3));
      const r = f.fresh.tps / f.analyzed.tps;
      rows.push(check(`right after purse cards issue of ${fmt(count(1_000_000, 10_000))} cards / after ANALYZE (each after the same warm-up)`, `${fmt(f.fresh.tps)} / ${fmt(f.analyzed.tps)} = ${fmt(r, 2)}`, '≥ 0.9', r >= 0.9));
      rows.push(info('daemon write statements whose plan the ANALYZE changed', f.plansChanged.length ? f.plansChanged.join(', ') : 'none'));
    }
    // Last, so that the other scenarios run on the tables as in earlier runs: its loops add as many purchases as all the others.
    const sweep: Sweep | null = wanted.has('sweep') ? await connectionSweep(b, pans, SWEEP, { closed: secs(25, 5), open: secs(30, 8), warmup: secs(5, 2) }) : null;
    results.daemon = `daemon exit ${await stopProcess(daemon.child)} on SIGTERM`;
    daemon = undefined;

    let after = NaN;
    if (baseline) {
      console.error(`auth: pgbench again (${baseline.seconds} s)…`);
      after = await baseline.run();
      await baseline.drop();
    }
    const verify = await purseCli<{ ok: boolean; entries: number; postings: number }>(env, ['ledger', 'verify'])
      .then((v) => (v.out.ok ? `clean (${v.out.entries} entries, ${v.out.postings} postings)` : 'BROKEN'))
      .catch((err: unknown) => `BROKEN: ${String(err).slice(-500)}`);
    const value = await cardValue(db.url, loaded);
    const tpcb = (before + after) / 2;
    const ratio = peak / tpcb;
    const lat = real.open?.latency;
    printSummary(`authorization, ${fmt(cards)} cards issued and loaded by the CLI with the daemon up (BENCH_SCALE=${SCALE})`, [
      info('pgbench tpcb-like TPS (-M prepared -c 8 -j 2, same server)', baseline ? `${fmt(tpcb)} (${fmt(before)} before, ${fmt(after)} after, ${baseline.seconds} s each; ${baseline.costs.join(' / ')})` : 'n/a (no pgbench)'),
      check('real traffic: peak approved purchases/s (closed loop, one daemon) / pgbench', `${fmt(peak)} / ${fmt(tpcb)} = ${fmt(ratio, 2)}`, `≥ ${TARGET_RATIO}`, ratio >= TARGET_RATIO),
      ...(lat ? [
        check(`real traffic: open loop at ${OPEN_FRACTION * 100}% of the peak, p99 ms (generator's clock)`, `${lat.p99} (p50 ${lat.p50}, p95 ${lat.p95}, max ${lat.max})`, `≤ ${TARGET_P99_MS}`, lat.p99 <= TARGET_P99_MS),
      ] : []),
      ...(sweep ? [
        info('sweep: closed loop approved/s by connections (one daemon) / pgbench', [{ connections: CONNECTIONS, closed: real.closed }, ...sweep.loops]
          .map((l) => `${l.connections}: ${fmt(l.closed.tps)} = ${fmt(l.closed.tps / tpcb, 2)}× (batch ${batchMean(l.closed.batches)})`).join('; ')),
        info(`sweep: open loop at ${OPEN_FRACTION * 100}% of its best (${sweep.best.connections} connections, ${fmt(sweep.open.tps)}/s), p99 ms`,
          `${sweep.open.latency!.p99} (p50 ${sweep.open.latency!.p50}, p95 ${sweep.open.latency!.p95}, max ${sweep.open.latency!.max})`, `the headline's target: ≤ ${TARGET_P99_MS}`),
      ] : []),
      ...rows,
      ...(Number.isFinite(hot) ? [info('hot cards / pgbench', fmt(hot / tpcb, 2), 'aim 2.0')] : []),
      info('WAL bytes per approved purchase (real traffic closed loop)', fmt(real.closed.walPerPurchase), '2.3 kB before issue 18; fewer is better'),
      info('B-tree entries per approved purchase (same loop, from its WAL records)', walInspect ? fmt(real.closed.indexPerPurchase, 1) : 'n/a (no pg_walinspect)', '12.7 before issue 18; fewer is better'),
      info('machine CPU busy / CPU per purchase: daemon, PostgreSQL, load generator (real traffic closed loop)', `${real.closed.machine} / ${fmt(real.closed.daemonCpuMs, 3)}, ${fmt(real.closed.serverCpuMs, 3)}, ${fmt(real.closed.generatorCpuMs, 3)} ms`),
      check('purse ledger verify', verify, 'clean', verify.startsWith('clean')),
      check('card value moved = approved purchases', value.text, 'equal', value.ok),
    ]);
    console.log(`  batches in the real-traffic closed loop: ${real.closed.batches}`);
    console.log(`  ${[results.daemon, results.second].filter(Boolean).join('; ')}`);
    console.log(`  conditions: ${durability} ${serverSettings}; ${writebackSettings()}; ${conditions}; load average at end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; ${Math.round((Date.now() - started) / 1000)} s in all`);
    if (!value.ok || !verify.startsWith('clean')) throw new Error('the ledger does not match the approved purchases');
  } finally {
    if (daemon) await stopProcess(daemon.child);
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/** The mean batch size out of a closed loop's batch counters ('purse_batch_size: N (r/s) × mean M; …'). */
function batchMean(batches: string): string {
  const m = /purse_batch_size: [^;]*× mean ([\d.]+)/.exec(batches);
  return m ? fmt(Number(m[1]), 1) : 'n/a';
}

/** Card value left = value loaded − approved purchases (the effect of every approved answer is in the ledger). */
async function cardValue(url: string, loaded: number): Promise<{ ok: boolean; text: string }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows: [r] } = await c.query<{ approved: string; amount: string; value: string }>(`
      select (select count(*) from transactions where type = 'purchase' and approved) as approved,
             (select coalesce(sum(amount_approved), 0) from transactions where type = 'purchase' and approved) as amount,
             (select coalesce(sum(balance), 0) from card_accounts where asset = 'CNY') as value`);
    const ok = Number(r!.value) === loaded - Number(r!.amount);
    return { ok, text: `${r!.approved} purchases of ${r!.amount} fen; loaded ${loaded}, left ${r!.value}` };
  } finally {
    await c.end();
  }
}
