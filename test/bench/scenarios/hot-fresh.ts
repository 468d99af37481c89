// The hot-card scenario and the "fresh statistics" scenario of the authorization bench.
import pg from 'pg';
import { fmt } from '../machine.js';
import { report } from '../harness.js';
import { generate } from './processes.js';
import { closedLoop, describeClosed, type Bench, type Closed } from './measure.js';
import { issueWithCli } from './world.js';

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
 * Fresh statistics: `purse cards issue` of `count` more cards (no VACUUM or ANALYZE by the bench),
 * the closed loop on the loaded cards `pans` at once, then an explicit ANALYZE of the database
 * and the same closed loop again.
 */
export async function freshStatistics(b: Bench, pans: readonly string[], count: number, seconds: number): Promise<{ fresh: Closed; analyzed: Closed; issueSeconds: number }> {
  console.error(`auth: fresh statistics, purse cards issue of ${count} cards…`);
  const before = await cardStats(b.url);
  const issued = await issueWithCli(b, count, `fresh-${Date.now()}`, false);
  const after = await cardStats(b.url);
  console.error(`auth: closed loop ${seconds} s right after the issue, then ANALYZE and again (each loop after a CHECKPOINT)…`);
  const c = new pg.Client({ connectionString: b.url });
  await c.connect();
  let fresh: Closed;
  let analyzed: Closed;
  try {
    // Both loops start right after a checkpoint, so both pay the same full-page images: a
    // checkpoint that fell in one loop only (the issue writes hundreds of MB of WAL) would
    // decide the ratio instead of the plans. CHECKPOINT changes no statistics and no plan.
    await c.query('checkpoint');
    fresh = await closedLoop(b, { name: 'fresh', pans, seconds });
    await c.query('analyze');
    await c.query('checkpoint');
    analyzed = await closedLoop(b, { name: 'analyzed', pans, seconds });
  } finally {
    await c.end();
  }
  report(`fresh statistics (right after purse cards issue of ${count} cards, then after an explicit ANALYZE)`, {
    'purse cards issue': `${fmt(issued.seconds, 1)} s; cards: ANALYZE runs ${before.analyzes} → ${after.analyzes} (by the command), autovacuum's ${before.autoAnalyzes} → ${after.autoAnalyzes}; `
      + `planner's row count ${fmt(before.reltuples)} → ${fmt(after.reltuples)}`,
    'right after the issue': describeClosed(fresh, b.connections),
    'after ANALYZE': describeClosed(analyzed, b.connections),
    'ratio': fmt(fresh.tps / analyzed.tps, 2),
  });
  return { fresh, analyzed, issueSeconds: issued.seconds };
}
