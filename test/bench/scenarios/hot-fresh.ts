// The hot-card scenario and the "fresh statistics" scenario of the authorization bench.
import pg from 'pg';
import { fmt } from '../machine.js';
import { report } from '../harness.js';
import { generate } from './processes.js';
import { closedLoop, describeClosed, type Bench, type Closed } from './measure.js';
import { issueWithCli } from './world.js';
import { watchServer } from '../auth-observe.js';
import { STATEMENT, STATEMENTS } from '../../../src/daemon/batch-sql.js';

/** Hot cards: `hotPans` each purchased once first (a warm-up in random order), then the closed loop on them alone. */
export async function hotCards(b: Bench, hotPans: readonly string[], seconds: number): Promise<Closed> {
  console.error(`auth: hot cards, each of ${hotPans.length} purchased once, then closed loop ${seconds} s…`);
  const cfg = { urls: [b.daemon.url], ...b.acquirer, pans: [...hotPans] };
  await generate(cfg, [{ name: 'cover', kind: 'closed', connections: b.connections, seconds: 60, requests: hotPans.length, cover: true }], b.home);
  const closed = await closedLoop(b, { name: 'hot', pans: hotPans, seconds });
  report(`hot cards (${hotPans.length}, each purchased before)`, { 'one daemon': describeClosed(closed, b.connections) });
  return closed;
}

interface Analyzed { analyzes: number; autoAnalyzes: number; reltuples: number }

async function cardStats(url: string): Promise<Analyzed> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows: [r] } = await c.query<{ a: number; auto: number; reltuples: number }>(`
      select s.analyze_count::int as a, s.autoanalyze_count::int as auto, c.reltuples
      from pg_stat_user_tables s join pg_class c on c.oid = s.relid where s.relname = 'cards'`);
    return { analyzes: r!.a, autoAnalyzes: r!.auto, reltuples: r!.reltuples };
  } finally {
    await c.end();
  }
}

/**
 * The generic plans of the daemon's write statements (as its connections PREPARE them), by name,
 * planned as a batch plans them (sequential scans off, src/daemon/batch.ts). The prefetch is one
 * plpgsql function whose statements run with force_generic_plan and enable_seqscan off: an index
 * plan per array lookup whatever the statistics, so it is not listed.
 */
async function writePlans(c: pg.Client): Promise<Map<string, string>> {
  const plans = new Map<string, string>();
  await c.query('set enable_seqscan = off');
  for (const [name, sql] of Object.entries(STATEMENTS)) {
    if (name === STATEMENT.prefetch) continue;
    const { rows } = await c.query<{ 'QUERY PLAN': string }>(`explain (generic_plan, costs off) ${sql}`);
    plans.set(name, rows.map((r) => r['QUERY PLAN']).join('\n'));
  }
  await c.query('reset enable_seqscan');
  return plans;
}

/**
 * Fresh statistics: `purse cards issue` of `count` more cards (no VACUUM or ANALYZE by the bench),
 * then the closed loop on the loaded cards `pans`; then an explicit ANALYZE of the database and
 * the same closed loop again. What is compared is the statistics, so both measured loops start
 * from the same state: each follows an unmeasured warm-up loop of `warmup` seconds (the first
 * touches of pages the issue pushed out of the caches, and the JIT, are not the statistics) and a
 * CHECKPOINT (the full-page images that follow one are not either). The daemon's write statements'
 * generic plans are compared before and after the ANALYZE, and autovacuum's work in each loop is
 * printed (its VACUUM of the new rows falls in whichever loop its naptime lands in).
 */
export async function freshStatistics(b: Bench, pans: readonly string[], count: number, seconds: number, warmup: number): Promise<{ fresh: Closed; analyzed: Closed; issueSeconds: number; plansChanged: string[] }> {
  console.error(`auth: fresh statistics, purse cards issue of ${count} cards…`);
  const before = await cardStats(b.url);
  const issued = await issueWithCli(b, count, `fresh-${Date.now()}`, false);
  const after = await cardStats(b.url);
  console.error(`auth: closed loop ${seconds} s right after the issue, then ANALYZE and again (each after a ${warmup} s warm-up loop and a CHECKPOINT)…`);
  const c = new pg.Client({ connectionString: b.url });
  await c.connect();
  const measured = async (name: string) => {
    await closedLoop(b, { name: `${name}-warmup`, pans, seconds: warmup });
    // CHECKPOINT changes no statistics and no plan.
    await c.query('checkpoint');
    const watch = watchServer(b.url);
    const t0 = Date.now();
    const closed = await closedLoop(b, { name, pans, seconds });
    return { closed, autovacuum: (await watch.stop(t0, [])).autovacuum };
  };
  let fresh: Awaited<ReturnType<typeof measured>>;
  let analyzed: Awaited<ReturnType<typeof measured>>;
  let plansChanged: string[];
  try {
    const plansBefore = await writePlans(c);
    fresh = await measured('fresh');
    await c.query('analyze');
    const plansAfter = await writePlans(c);
    plansChanged = [...plansBefore].filter(([name, plan]) => plansAfter.get(name) !== plan).map(([name]) => name);
    analyzed = await measured('analyzed');
  } finally {
    await c.end();
  }
  report(`fresh statistics (right after purse cards issue of ${count} cards, then after an explicit ANALYZE)`, {
    'purse cards issue': `${fmt(issued.seconds, 1)} s; cards: ANALYZE runs ${before.analyzes} → ${after.analyzes} (by the command), autovacuum's ${before.autoAnalyzes} → ${after.autoAnalyzes}; `
      + `planner's row count ${fmt(before.reltuples)} → ${fmt(after.reltuples)}`,
    'right after the issue': `${describeClosed(fresh.closed, b.connections)}; autovacuum: ${fresh.autovacuum}`,
    'after ANALYZE': `${describeClosed(analyzed.closed, b.connections)}; autovacuum: ${analyzed.autovacuum}`,
    'write statements whose generic plan the ANALYZE changed': plansChanged.length ? plansChanged.join(', ') : 'none',
    'ratio': fmt(fresh.closed.tps / analyzed.closed.tps, 2),
  });
  return { fresh: fresh.closed, analyzed: analyzed.closed, issueSeconds: issued.seconds, plansChanged };
}
