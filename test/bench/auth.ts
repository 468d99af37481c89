// Authorization benchmark (design §7, issue 3): signed HTTP purchases on 10,000 distinct cards
// against `purse serve` with durable commits, compared with pgbench tpcb-like on the same server.
//
//   npm run bench auth                      full run (~3 minutes)
//   BENCH_SCALE=0.2 npm run bench auth      shorter phases for a quick check
//   BENCH_CONNECTIONS=128                   closed-loop connections (default 64)
//   BENCH_DAEMONS=2                         purse serve processes sharing the load (default 1;
//                                           connections go round robin, as behind a TCP balancer)
//   BENCH_DAEMON_NODE_ARGS='--max-semi-space-size=32'   node options for the daemons only
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { benchDatabase, databaseUrl, pgTool, report } from './harness.js';
import { busyShare, cpuOf, fmt, machineCpu, watchWriteback, writebackSettings } from './machine.js';
import { batchCounts, batchRate, daemonMetrics, ioCounters, runtimeCounts, settings, watchServer } from './auth-observe.js';
import type { LoadConfig, Phase, PhaseResult } from './auth-load.js';
import { openContext } from '../../src/context.js';
import { createLogger } from '../../src/logger.js';
import { generateKeyringJson } from '../../src/cards/keys.js';
import { addIssuer } from '../../src/registry/issuers.js';
import { addProgram } from '../../src/registry/programs.js';
import { addMerchant, addTerminal } from '../../src/registry/merchants.js';
import { addChannel } from '../../src/registry/channels.js';
import { issueCards } from '../../src/cards/issue.js';
import { withTransaction } from '../../src/db/tx.js';
import { openBusinessDate } from '../../src/ledger/business-date.js';
import { postEntries } from '../../src/ledger/post.js';
import { balancedEntry } from '../../src/ledger/entry.js';
import { account } from '../../src/ledger/accounts.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CARDS = 10_000;
const LOAD_PER_CARD = 100_000; // the anonymous maximum: 1,000 CNY
const SCALE = Math.min(1, Math.max(0.05, Number(process.env.BENCH_SCALE ?? 1) || 1));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const DAEMONS = Math.max(1, Number(process.env.BENCH_DAEMONS ?? 1) || 1);
const OPEN_FRACTION = 0.7;
const TARGET_RATIO = 1.5;
const TARGET_P99_MS = 15;

const run$ = promisify(execFile);
const secs = (full: number, min: number) => Math.max(min, Math.round(full * SCALE));

/**
 * pgbench tpcb-like (design §7: `-i -s 10`, then `-M prepared -c 8 -j 2 -T 30`) in its own
 * database; null when pgbench is missing. `run()` may be called more than once (before and after
 * the daemon's phases: on a shared machine the load drifts during a run); `drop()` at the end.
 */
async function pgbench(adminUrl: string): Promise<{ run(): Promise<number>; seconds: number; drop(): Promise<void> } | null> {
  const bin = pgTool('pgbench');
  if (!bin) return null;
  const admin = async (sql: string, database = 'postgres') => {
    const c = new pg.Client({ connectionString: databaseUrl(adminUrl, database) });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin('drop database if exists bench_pgbench with (force)');
  await admin('create database bench_pgbench');
  const u = new URL(adminUrl);
  const conn = ['-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username)];
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(u.password) };
  await run$(bin, ['-i', '-s', '10', '-q', ...conn, 'bench_pgbench'], { env, maxBuffer: 64 << 20 });
  const seconds = secs(30, 5);
  return {
    seconds,
    async run() {
      const { stdout } = await run$(bin, ['-M', 'prepared', '-c', '8', '-j', '2', '-T', String(seconds), ...conn, 'bench_pgbench'], { env, maxBuffer: 64 << 20 });
      const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
      if (!m) throw new Error(`cannot read pgbench output:\n${stdout}`);
      // Pay the run's vacuum debt now, so autovacuum of the baseline's tables does not land in the daemon's phases.
      await admin('vacuum analyze', 'bench_pgbench');
      return Number(m[1]);
    },
    drop: () => admin('drop database if exists bench_pgbench with (force)'),
  };
}

interface Setup { channel: string; secret: string; merchant: string; terminal: string; pans: string[] }

/** Issuer, stored-value program, merchant + terminal, channel and 10,000 active cards loaded with 1,000 CNY each. */
export async function setUp(url: string, keysJson: string, home: string): Promise<Setup> {
  const ctx = await openContext({ env: { DATABASE_URL: url, PURSE_KEYS: keysJson, PURSE_HOME: home }, logger: createLogger('warn'), migrate: false });
  try {
    await addIssuer(ctx, { code: 'BENCH-ISS', name: 'Bench issuer' });
    await addProgram(ctx, { code: 'BENCH-SV', issuer: 'BENCH-ISS', bin: '622999', activateOnIssue: true });
    await addMerchant(ctx, { code: 'BENCH-M', name: 'Bench merchant', commissionBps: 150 });
    await addTerminal(ctx, { merchant: 'BENCH-M', code: 'BENCH-T' });
    const channel = await addChannel(ctx, { code: 'BENCH-CH', merchants: ['BENCH-M'], feeFixed: 1, feeBps: 10 });
    const out = path.join(home, 'cards.csv');
    const issued = await issueCards(ctx, { program: 'BENCH-SV', count: CARDS, out, batch: 'bench' });
    const rows = fs.readFileSync(issued.file, 'utf8').split('\n').slice(1).filter((l) => /^\d/.test(l)).map((l) => l.split(','));
    const pans = rows.map((r) => r[0]!);
    const cardIds = rows.map((r) => Number(r[2]));
    fs.rmSync(issued.file);
    if (pans.length !== CARDS) throw new Error(`expected ${CARDS} cards, read ${pans.length}`);
    const issuerId = (await ctx.db.pg.query<{ id: number }>(`select id from issuers where code = 'BENCH-ISS'`)).rows[0]!.id;
    await withTransaction(ctx.db.pg, async (c) => {
      const now = ctx.clock.now();
      const date = await openBusinessDate(c, now, ctx.calendar);
      await postEntries(c, date, cardIds.map((id) => balancedEntry('bulk_load', [
        { account: account.cardValue(id), asset: 'CNY', amount: LOAD_PER_CARD },
        { account: account.issuer(issuerId), asset: 'CNY', amount: -LOAD_PER_CARD },
      ], { occurredAt: now })));
    });
    await ctx.db.pg.query('vacuum analyze');
    return { channel: channel.code, secret: channel.secret, merchant: 'BENCH-M', terminal: 'BENCH-T', pans };
  } finally {
    await ctx.close();
  }
}

/** Starts `bin/purse serve` on a free port against `url`; its log (info level) goes to `logFile`. */
export async function startDaemonProcess(url: string, keysJson: string, home: string, logFile: string): Promise<{ child: ChildProcess; url: string }> {
  const log = fs.createWriteStream(logFile);
  const nodeArgs = (process.env.BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'bin/purse'), 'serve', '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: url, PURSE_KEYS: keysJson, PURSE_HOME: home, LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const listening = await new Promise<string>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stderr! });
    lines.on('line', (line) => {
      log.write(`${line}\n`);
      const m = /purse daemon listening on (\S+)/.exec(line);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`purse serve exited with ${code} before listening; see ${logFile}`)));
  });
  return { child, url: listening };
}

export async function stopProcess(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

/** Runs the load generator (its own process) for `phases`; returns one result per phase. */
export async function generate(cfg: Omit<LoadConfig, 'phases'>, phases: Phase[], home: string): Promise<PhaseResult[]> {
  const file = path.join(home, `load-${Date.now()}.json`);
  fs.writeFileSync(file, JSON.stringify({ ...cfg, phases }), { mode: 0o600 });
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/bench/auth-load.ts'), file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const results: PhaseResult[] = [];
  readline.createInterface({ input: child.stdout! }).on('line', (line) => results.push(JSON.parse(line) as PhaseResult));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  fs.rmSync(file, { force: true });
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  return results;
}

export async function run(): Promise<void> {
  const started = Date.now();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-bench-auth-'));
  const conditions = `${os.cpus().length} CPUs, load average at start ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, BENCH_SCALE=${SCALE}`;
  const daemons: { child: ChildProcess; url: string }[] = [];
  try {
    const db = await benchDatabase('bench_auth');
    const durability = await settings(db.url, ['fsync', 'synchronous_commit']);
    const walSettings = await settings(db.url, ['max_wal_size', 'wal_init_zero', 'checkpoint_timeout', 'autovacuum', 'autovacuum_naptime']);
    if (durability !== 'fsync=on synchronous_commit=on') throw new Error(`the authorization bench needs durable commits; server has ${durability}`);
    console.error(`auth: pgbench baseline (${secs(30, 5)} s, repeated after the daemon's phases)…`);
    const bench = await pgbench(db.adminUrl);
    const before = bench ? await bench.run() : NaN;
    if (!bench) console.error('auth: pgbench NOT FOUND (looked in /usr/lib/postgresql/15/bin and PATH): no baseline, no ratio');

    console.error(`auth: setting up ${CARDS} cards…`);
    const keysJson = generateKeyringJson();
    const setup = await setUp(db.url, keysJson, home);
    for (let n = 0; n < DAEMONS; n++) daemons.push(await startDaemonProcess(db.url, keysJson, home, path.join(home, `daemon-${n}.log`)));
    const cfg = { urls: daemons.map((d) => d.url), ...setup };

    const closedSeconds = secs(25, 3);
    console.error(`auth: closed loop, ${CONNECTIONS} connections, warm-up of ${Math.round(CARDS * SCALE)} purchases (each card once) then ${closedSeconds} s…`);
    const daemonCpu = () => daemons.reduce((sum, d) => sum + cpuOf(d.child.pid), 0);
    // Warm-up: every card once (the daemon's PAN → card id cache, PostgreSQL's buffers), at most 60 s.
    const coverage = Math.round(CARDS * SCALE);
    await generate(cfg, [{ name: 'warm', kind: 'closed', connections: CONNECTIONS, seconds: 60, requests: coverage, cover: true }], home);
    const cpu0 = daemonCpu();
    const machine0 = machineCpu();
    const peakBatches0 = batchCounts(await daemonMetrics(cfg.urls));
    const [peak] = await generate(cfg, [{ name: 'peak', kind: 'closed', connections: CONNECTIONS, seconds: closedSeconds }], home);
    const cpuPeak = daemonCpu() - cpu0;
    const machinePeak = busyShare(machine0, machineCpu());
    const peakBatches = batchCounts(await daemonMetrics(cfg.urls));
    const rate = Math.max(1, Math.round(peak!.tps * OPEN_FRACTION));
    const openSeconds = secs(30, 6);
    const warmup = secs(5, 2);
    console.error(`auth: open loop at ${rate}/s (70% of ${fmt(peak!.tps)}), ${openSeconds} s of which ${warmup} s warm-up…`);
    const io0 = await ioCounters(db.url);
    const watch = watchServer(db.url);
    const writeback = watchWriteback();
    const metrics0 = await daemonMetrics(cfg.urls);
    const runtime0 = runtimeCounts(metrics0, TARGET_P99_MS);
    const batches0 = batchCounts(metrics0);
    const machine1 = machineCpu();
    const [open] = await generate(cfg, [{ name: 'open', kind: 'open', rate, seconds: openSeconds, warmupSeconds: warmup, maxSockets: 512, overMs: TARGET_P99_MS }], home);
    const machineOpen = busyShare(machine1, machineCpu());
    const metrics1 = await daemonMetrics(cfg.urls);
    const runtime1 = runtimeCounts(metrics1, TARGET_P99_MS);
    const openBatches = batchCounts(metrics1);
    const io1 = await ioCounters(db.url);
    const worst3 = open!.seconds99!.worst.slice(0, 3).map((w) => w.at);
    const watched = await watch.stop(open!.startedAt!, worst3);
    const writtenBack = writeback.stop(open!.startedAt!, worst3);
    const mb = (bytes: number) => fmt(bytes / 1048576);
    const openIo = `WAL ${mb(io1.wal - io0.wal)} MB (fsynced at each commit); relations extended by ${io1.extended === null ? 'n/a' : mb(io1.extended - io0.extended!)} MB (zero pages the kernel writes back later); `
      + `${io1.segments === null ? 'n/a' : fmt(io1.segments - io0.segments!, 1)} WAL segment files zero-filled; ${io1.checkpoints - io0.checkpoints} checkpoints started`;

    // The effect of every approved answer is in the ledger: approved purchases and card value moved.
    const check = new pg.Client({ connectionString: db.url });
    await check.connect();
    const { rows: [c] } = await check.query<{ approved: string; amount: string; value: string }>(`
      select (select count(*) from transactions where type = 'purchase' and approved) as approved,
             (select coalesce(sum(amount_approved), 0) from transactions where type = 'purchase' and approved) as amount,
             (select sum(balance) from card_accounts where asset = 'CNY') as value`);
    await check.end();
    const consistent = Number(c!.value) === CARDS * LOAD_PER_CARD - Number(c!.amount);
    const batches = batchCounts(await daemonMetrics(daemons.map((d) => d.url)));
    const exits = [];
    for (const d of daemons.splice(0)) exits.push(await stopProcess(d.child));
    const logLines = fs.readdirSync(home).filter((f) => f.startsWith('daemon-')).reduce((n, f) => n + fs.readFileSync(path.join(home, f), 'utf8').split('\n').filter(Boolean).length, 0);

    let after = NaN;
    if (bench) {
      console.error(`auth: pgbench again (${bench.seconds} s), the load may have drifted…`);
      after = await bench.run();
      await bench.drop();
    }
    const baseline = bench ? { tps: (before + after) / 2, seconds: bench.seconds } : null;
    const ratio = baseline ? peak!.tps / baseline.tps : NaN;
    const lat = open!.latency!;
    report('authorization (signed HTTP purchases, 10,000 cards, synchronous_commit on)', {
      'pgbench tpcb-like TPS (-M prepared -c 8 -j 2)': baseline
        ? `${fmt(baseline.tps)} (mean of ${fmt(before)} before and ${fmt(after)} after the daemon, ${baseline.seconds} s each)`
        : 'n/a (pgbench not installed)',
      'daemon peak TPS (closed loop)': `${fmt(peak!.tps)} approved/s, ${DAEMONS} purse serve process${DAEMONS > 1 ? 'es' : ''}, ${CONNECTIONS} connections, ${closedSeconds} s, other answers ${JSON.stringify(peak!.other)}`,
      'ratio daemon / pgbench': baseline ? `${fmt(ratio, 2)} (target ≥ ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'MISSED'})` : 'n/a',
      'open loop': `${rate}/s (${OPEN_FRACTION * 100}% of peak) for ${openSeconds} s, ${warmup} s warm-up excluded, ${lat.count} measured, achieved ${fmt(open!.tps)}/s, other ${JSON.stringify(open!.other)}`,
      'latency ms from scheduled send': `p50 ${lat.p50}  p95 ${lat.p95}  p99 ${lat.p99}  p99.9 ${lat.p999}  max ${lat.max}  mean ${lat.mean} (target p99 ≤ ${TARGET_P99_MS}: ${lat.p99 <= TARGET_P99_MS ? 'met' : 'MISSED'})`,
      'open loop writes': openIo,
      'open loop seconds': `median of the seconds' p99 ${open!.seconds99!.median} ms; worst seconds ${open!.seconds99!.worst.map((w) => `${w.at} s: ${w.p99}`).join(', ')}`,
      'autovacuum workers at work in the open loop': watched.autovacuum,
      'kernel writeback in the open loop': writtenBack,
      'backends of the bench database waiting on': `${watched.waits}; in the 3 worst seconds ${watched.worstWaits}`,
      'answers over the p99 target in the open loop': `${fmt((100 * (runtime1.requestsOver - runtime0.requestsOver)) / Math.max(1, runtime1.requests - runtime0.requests), 2)}% by the daemon's clock `
        + `(request received to answer written, warm-up included), ${fmt((100 * open!.over!) / Math.max(1, lat.count), 2)}% by the generator's (from scheduled send, warm-up excluded)`,
      'daemon runtime in the open loop': `GC paused ${runtime1.pauses - runtime0.pauses} times for ${fmt(1000 * (runtime1.seconds - runtime0.seconds))} ms `
        + `(${fmt((100 * (runtime1.seconds - runtime0.seconds)) / (open!.seconds * DAEMONS), 1)}% of the time); event loop delay over its last 10 s `
        + `p50 ${fmt(1000 * (runtime1.delay['0.5'] ?? NaN), 1)} p99 ${fmt(1000 * (runtime1.delay['0.99'] ?? NaN), 1)} max ${fmt(1000 * (runtime1.delay['1'] ?? NaN), 1)} ms`,
      'generator send lag ms (own timer)': `p99 ${open!.sendLag!.p99}  max ${open!.sendLag!.max}`,
      'machine CPU busy (all processes, all CPUs)': `${machinePeak} in the closed loop, ${machineOpen} in the open loop`,
      'batches (one transaction each)': `closed loop ${batchRate(peakBatches0, peakBatches, closedSeconds)}; open loop ${batchRate(batches0, openBatches, open!.seconds)}`,
      'cpu ms per approved purchase at peak': `daemon ${fmt((1000 * cpuPeak) / Math.max(1, peak!.approved), 3)}, generator ${fmt((1000 * peak!.cpuSeconds) / Math.max(1, peak!.approved), 3)}`,
      'ledger check': `${c!.approved} approved purchases of ${c!.amount} fen; card value ${consistent ? 'consistent' : 'INCONSISTENT'}`,
      'batches (all phases)': `${Object.entries(batches.paths).map(([p, n]) => `${p} ${n}`).join(', ')}; ${fmt(batches.messages / Math.max(1, batches.count), 1)} messages per batch`,
      'daemon': `exit ${exits.join(', ')} on SIGTERM, ${logLines} log lines at ${process.env.BENCH_LOG_LEVEL ?? 'info'}`,
      'conditions': `${durability} ${walSettings}; ${writebackSettings()}; ${conditions}; load average at end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; ${Math.round((Date.now() - started) / 1000)} s in all`,
    });
    if (!consistent) throw new Error('card value does not match the approved purchases');
  } finally {
    for (const d of daemons) await stopProcess(d.child);
    fs.rmSync(home, { recursive: true, force: true });
  }
}
