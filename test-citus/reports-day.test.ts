import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { clusterContext, clusterDatabase } from './helpers/db.js';
import { daemonFixture } from '../test/helpers/daemon.js';
import { seedPointsDaemon, type PointsDaemonSeed } from '../test/helpers/points.js';
import { issueCard, load } from '../test/helpers/residual.js';
import { prng } from '../test/helpers/prng.js';
import { addProgram } from '../src/registry/programs.js';
import { updateIssuer } from '../src/registry/issuers.js';
import { recordCustody } from '../src/registry/custody.js';
import { runDue } from '../src/daemon/scheduler.js';
import { JOBS } from '../src/daemon/jobs.js';
import { settleBusinessDate } from '../src/settlement/settle.js';
import { liabilityReport } from '../src/settlement/liability.js';
import { chargeDormancy } from '../src/settlement/dormancy.js';
import { runBreakage } from '../src/settlement/breakage.js';
import { verifyLedger } from '../src/ledger/verify.js';
import { feesReport } from '../src/reports/fees.js';
import { revenueReport } from '../src/reports/revenue.js';
import { statsReport } from '../src/reports/stats.js';
import { listTransactions } from '../src/reports/transactions.js';
import { writeStatements } from '../src/reports/statements.js';
import { writeJournal } from '../src/reports/journal.js';
import { custodyReport } from '../src/reports/custody.js';
import { reactivateCard } from '../src/cards/reactivate.js';

const D1 = '2026-03-10';
const DORMANT = '2027-06-01';
const D2 = '2029-05-02';

/** Every output of the day, by name: reports and job results as JSON text, files as their text. */
type Outputs = Record<string, string>;

/**
 * Every file under `dir` (recursively) by its path relative to `root`, as text: an XLSX workbook as
 * the text of each of its parts. `text` normalises what differs by design between two databases.
 */
function filesIn(root: string, text: (s: string) => string, dir = root, out: Outputs = {}): Outputs {
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    const rel = path.relative(root, p);
    if (fs.statSync(p).isDirectory()) filesIn(root, text, p, out);
    else if (name.endsWith('.xlsx')) {
      for (const [part, bytes] of Object.entries(unzipSync(fs.readFileSync(p))).sort()) out[`file ${rel}!${part}`] = text(strFromU8(bytes));
    } else out[`file ${rel}`] = text(fs.readFileSync(p, 'utf8'));
  }
  return out;
}

/**
 * A seeded programme on one database, through the domain functions the CLI commands and the
 * scheduler call, on the test clock:
 * - day 1 (D1): through the daemon, 48 messages on 6 combo cards (purchases, POS loads, points
 *   earn and redeem, refunds, voids, reversals, preauths); bulk loads onto anonymous cards of a
 *   remote-breakage programme with a dormancy fee and of a proportional-breakage programme;
 * - the scheduler after D1's close (settlement, card and hold expiry, dormancy, breakage, points
 *   expiry), then every report of D1: fees, revenue, stats, transactions, statements (CSV and XLSX),
 *   journal, liability, custody;
 * - fifteen months later, the dormancy job (the anonymous cards idle for over 12 months), a dry
 *   run, liability, settlement of that date;
 * - three years later (D2), after the cards expired: the residual-value jobs again (dormancy fees,
 *   remote breakage, proportional true-up, points expiry), `breakage run` and `breakage dormancy`
 *   again (nothing twice), a card reactivated (its value restored), settlement of D2 and its reports, liability, custody, `ledger verify`.
 */
async function runProgramme(citus: boolean, seed: number): Promise<Outputs> {
  let pts!: PointsDaemonSeed;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-citus-reports-'));
  const ctx = await clusterContext(await clusterDatabase({ citus }), { now: `${D1}T10:00:00+08:00` });
  ctx.config.settlementDir = path.join(out, 'settlement');
  // The breakage job writes its report under the working directory (batches/breakage), as the daemon does.
  const cwd = process.cwd();
  process.chdir(out);
  const f = await daemonFixture({
    cards: 1, channelMerchants: ['M1', 'COFFEE', 'SHOP'], ctx,
    setup: async (c) => void (pts = await seedPointsDaemon(c, 6)),
  });
  await updateIssuer(ctx, { code: 'ISS', custodyClass: 'scale' });
  await addProgram(ctx, { code: 'ANON', issuer: 'ISS', bin: '624000', validityMonths: 36, breakageGraceDays: 30, dormancyMonths: 12, dormancyFee: 300 });
  await addProgram(ctx, { code: 'GIFT', issuer: 'ISS', bin: '625000', validityMonths: 36, breakageMethod: 'proportional', breakageRateBps: 1500 });
  const { rows: [iss] } = await ctx.db.pg.query<{ id: number }>("select id from issuers where code = 'ISS'");
  const rnd = prng(seed);
  const anon: number[] = [];
  for (const program of ['ANON', 'ANON', 'ANON', 'GIFT', 'GIFT']) {
    const card = await issueCard(ctx, program);
    if (program === 'ANON') anon.push(card.id);
    await load(ctx, card.id, iss!.id, 1_000 + Math.floor(rnd() * 50_000));
  }
  for (const id of pts.cards) await f.fund(id, 50_000);

  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const purchases: string[] = [];
  const codes = new Set<unknown>();
  for (let n = 0; n < 48; n++) {
    const card = pick(pts.pans);
    const amount = 1 + Math.floor(rnd() * 9_000);
    const roll = rnd();
    const at = { merchant: roll < 0.5 ? 'COFFEE' : 'SHOP', terminal: 'T1', request_id: `r${n}` };
    let body: Record<string, unknown>;
    if (roll < 0.35 || purchases.length === 0) body = { ...at, type: 'purchase', card, amount };
    else if (roll < 0.45) body = { ...at, type: 'load', card, amount };
    else if (roll < 0.55) body = { ...at, type: 'points_earn', card, amount };
    else if (roll < 0.62) body = { ...at, type: 'points_redeem', card, amount: 1 + Math.floor(amount / 100) };
    else if (roll < 0.72) body = { ...at, type: 'refund', original_request_id: pick(purchases), amount: 1 + Math.floor(amount / 10) };
    else if (roll < 0.8) body = { ...at, type: 'void', original_request_id: pick(purchases) };
    else if (roll < 0.88) body = { ...at, type: 'reversal', original_request_id: pick(purchases) };
    else body = { ...at, type: 'preauth', card, amount };
    const r = await f.send(body);
    codes.add(`${body.type as string} ${r.body.response_code as string}`);
    if (body.type === 'purchase' && r.body.response_code === '00') purchases.push(at.request_id);
  }

  const o: Outputs = {};
  const put = (name: string, value: unknown) => void (o[name] = JSON.stringify(value, null, 1));
  put('answers', [...codes].sort());
  // After D1's close: every job due (settlement of D1 first), as the daemon's scheduler runs them.
  ctx.clock.set('2026-03-11T03:00:00+08:00');
  put('jobs D1', await runDue(ctx, ctx.clock.now()));
  put('fees', await feesReport(ctx, { from: D1, to: D1 }));
  put('revenue D1', await revenueReport(ctx, { month: D1.slice(0, 7) }));
  put('stats', await statsReport(ctx, { from: D1, to: D1 }));
  put('transactions', await listTransactions(ctx, { from: D1, to: D1 }));
  put('transactions COFFEE', await listTransactions(ctx, { merchant: 'COFFEE', type: 'purchase' }));
  put('statements', await writeStatements(ctx, { date: D1, out: path.join(out, 'statements') }));
  put('statements xlsx', await writeStatements(ctx, { date: D1, out: path.join(out, 'statements-xlsx'), xlsx: true, lang: 'en', amounts: 'fen' }));
  put('journal D1', await writeJournal(ctx, { date: D1, out: path.join(out, 'journal') }));
  put('liability D1', await liabilityReport(ctx, { asOf: D1 }));
  await recordCustody(ctx, { issuer: 'ISS', quarter: '2026Q2', amount: 10_000 });
  put('custody 2026Q1', await custodyReport(ctx, { quarter: '2026Q1' }));

  // Fifteen months on, the anonymous cards still valid and idle for over their 12 months: the
  // dormancy job charges them, once; that date is settled.
  ctx.clock.set(`${DORMANT}T03:00:00+08:00`);
  put('jobs dormant', await runDue(ctx, ctx.clock.now(), { jobs: JOBS.filter((j) => j.name === 'dormancy') }));
  put('dormancy dry run', await chargeDormancy(ctx, { asOf: DORMANT, dryRun: true }));
  put('liability dormant', await liabilityReport(ctx, { asOf: DORMANT }));
  ctx.clock.set('2027-06-02T03:00:00+08:00');
  put('settle dormant', await settleBusinessDate(ctx, { date: DORMANT, out: path.join(out, 'settlement') }));
  put('revenue dormant', await revenueReport(ctx, { month: DORMANT.slice(0, 7) }));

  // Three years on: the anonymous cards expired past their grace, the points lots too.
  ctx.clock.set(`${D2}T03:00:00+08:00`);
  put('jobs D2', await runDue(ctx, ctx.clock.now(), { jobs: JOBS.filter((j) => j.name !== 'settlement') }));
  put('dormancy again', await chargeDormancy(ctx, { asOf: D2 }));
  put('breakage again', await runBreakage(ctx, { asOf: D2, outDir: path.join(out, 'breakage') }));
  put('breakage dry run', await runBreakage(ctx, { asOf: D2, dryRun: true, outDir: path.join(out, 'breakage') }));
  // A cardholder comes back: the card is reactivated and its derecognised value restored.
  put('reactivate', await reactivateCard(ctx, { cardId: String(anon[0]) }));
  put('liability D2', await liabilityReport(ctx, { asOf: D2 }));
  ctx.clock.set('2029-05-03T03:00:00+08:00');
  put('settle D2', await settleBusinessDate(ctx, { date: D2, out: path.join(out, 'settlement') }));
  put('revenue D2', await revenueReport(ctx, { month: D2.slice(0, 7) }));
  put('journal D2', await writeJournal(ctx, { date: D2, out: path.join(out, 'journal'), lang: 'en' }));
  put('custody 2026Q2', await custodyReport(ctx, { quarter: '2026Q2' }));
  put('custody 2029Q2', await custodyReport(ctx, { quarter: '2029Q2' }));
  put('verify', await verifyLedger(ctx.db.pg));
  // PANs are random (each database issued its own) and card ids need not be the same numbers (the
  // cluster's issuance claims PAN tokens first): a card is shown as its rank in issuance order, and
  // its masked number and last digits as placeholders; which card a line is on is still compared
  // (the transactions report's card ids). Paths of the run's directory are shown as <out>.
  const { rows: cards } = await ctx.db.pg.query<{ id: number }>('select id from cards order by id');
  const rank = new Map(cards.map((c, i) => [String(c.id), `card#${i + 1}`]));
  // Transaction and entry ids likewise: on the cluster they are drawn into their cards' shards
  // (migrations 000300, 000301), so other numbers in the same order.
  const ranks = async (table: string, label: string) => new Map((await ctx.db.pg.query<{ id: number }>(`select id from ${table} order by id`)).rows
    .map((r, i) => [String(r.id), `${label}#${i + 1}`]));
  const txnRank = await ranks('transactions', 'txn');
  const entryRank = await ranks('entries', 'entry');
  const entry = (id: string) => entryRank.get(id) ?? `unknown ${id}`;
  const text = (v: string) => v.replaceAll(out, '<out>').replace(/\d{6}\*{2,}\d{4}/g, '<card>')
    .replace(/"card_id": (\d+)/g, (_m, id: string) => `"card_id": "${rank.get(id) ?? `unknown ${id}`}"`)
    .replace(/"card_last4": "\d{4}"/g, '"card_last4": "<last4>"')
    .replace(/"entry_id": (\d+)/g, (_m, id: string) => `"entry_id": "${entry(id)}"`)
    .replace(/"entry_ids": \[([\d,\s]*)\]/g, (_m, ids: string) => `"entry_ids": [${ids.replace(/\d+/g, (id) => `"${entry(id)}"`)}]`)
    // a CSV whose last column is entry_id (breakage's)
    .replace(/^(.*,entry_id\n)([\s\S]*)$/, (_m, head: string, rows: string) => head + rows.replace(/,(\d+)$/gm, (_r, id: string) => `,${entry(id)}`));
  for (const [k, v] of Object.entries(o)) o[k] = text(v);
  for (const k of ['transactions', 'transactions COFFEE']) {
    o[k] = o[k]!.replace(/"(id|original_id)": (\d+)/g, (_m, key: string, id: string) => `"${key}": "${txnRank.get(id) ?? `unknown ${id}`}"`);
  }
  Object.assign(o, filesIn(out, text));
  process.chdir(cwd);
  fs.rmSync(out, { recursive: true, force: true });
  return o;
}

describe('every report and residual-value command on a single server and on the cluster', () => {
  let single: Outputs;
  let cluster: Outputs;
  beforeAll(async () => {
    single = await runProgramme(false, 20261206);
    cluster = await runProgramme(true, 20261206);
  });

  it('the seeded programme exercised what the reports show', () => {
    const answers = JSON.parse(single.answers!) as string[];
    for (const a of ['purchase 00', 'void 00', 'reversal 00', 'points_earn 00', 'points_redeem 00', 'preauth 00']) expect(answers).toContain(a);
    const jobs = JSON.parse(single['jobs D2']!) as { job: string; status: string; result: Record<string, unknown> }[];
    expect(jobs.map((j) => `${j.job} ${j.status}`).sort()).toEqual(
      ['breakage succeeded', 'card-expiry succeeded', 'dormancy succeeded', 'hold-expiry succeeded', 'points-expiry succeeded']);
    expect(single['jobs D1']).toContain('"job": "settlement"');
    expect(JSON.parse(single['jobs dormant']!)).toMatchObject([{ job: 'dormancy', status: 'succeeded', result: { cards: 3, amount: 900 } }]);
    expect(JSON.parse(single['breakage again']!)).toMatchObject({ remote: { cards: 0 } }); // nothing twice
    expect(JSON.parse(single.reactivate!).restored).toBeGreaterThan(0);
    expect(Object.keys(single).filter((k) => k.startsWith('file statements/')).length).toBeGreaterThan(1);
    expect(Object.keys(single).filter((k) => k.startsWith('file breakage/')).length).toBeGreaterThan(0);
    expect(Object.keys(single)).toContain(`file settlement/summary-${D2}.json`);
  });

  it('gives the same outputs and byte-identical files', () => {
    expect(Object.keys(cluster)).toEqual(Object.keys(single));
    expect(Object.keys(single).filter((name) => cluster[name] !== single[name])).toEqual([]);
  });

  it('ledger verify is clean on both', () => {
    expect(JSON.parse(single.verify!)).toMatchObject({ ok: true, violations: [] });
  });
});
