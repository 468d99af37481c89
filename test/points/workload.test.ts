import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { runPoints, seedPoints } from '../helpers/points.js';
import { prepareEarn, preparePointsLoad } from '../../src/points/earn.js';
import { prepareRedeem } from '../../src/points/redeem.js';
import { prepareExchange } from '../../src/points/exchange.js';
import { prepareClawback } from '../../src/points/clawback.js';
import { preparePointsReversal } from '../../src/points/reversal.js';
import { prepareLottery } from '../../src/points/lottery/draw.js';
import { addGame } from '../../src/points/lottery/games.js';
import { auditGame } from '../../src/points/lottery/audit.js';
import { DRAW_RANGE } from '../../src/points/lottery/mapping.js';
import { expirePoints } from '../../src/points/expiry.js';
import { setRate } from '../../src/registry/schemes.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import type { PointsOutcome } from '../../src/points/outcome.js';
import { prng } from '../helpers/prng.js';


const ctx = await testContext();
const seed = await seedPoints(ctx, 8);
const { COFFEE, SHOP } = seed.merchants;
await setRate(ctx, { from: 'AIR', to: 'MALL', rate: '1.333333', effectiveAt: '2026-01-01' });
await setRate(ctx, { from: 'MALL', to: 'AIR', rate: '0.618034', effectiveAt: '2026-01-01' });
await setRate(ctx, { from: 'AIR', to: 'MALL', rate: '0.777777', effectiveAt: '2026-09-01' });
await addGame(ctx, {
  code: 'WHEEL', scheme: 'AIR', cost: 37, prizes: [
    { code: 'JACKPOT', points: 1001, probability: '0.02', stock: 2, fallback: 'TEN' },
    { code: 'CUP', goods: 1250, merchant: 'COFFEE', probability: '0.05', stock: 4 },
    { code: 'TEN', points: 10, probability: '0.3' },
    { code: 'EVEN', points: 37, probability: '0.1' },
  ],
});

interface Done { txn: number; kind: 'earn' | 'load' | 'redeem' | 'exchange' | 'lottery' | 'clawback'; purchase?: number }

/**
 * Runs `ops` random points operations on the seeded cards, through prepare → post → finish, moving
 * the clock forward so lots expire and the expiry job runs; every outcome is a decline or posts.
 */
async function workload(rand: () => number, ops: number, firstTxn: number): Promise<{ counts: Record<string, number> }> {
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const done: Done[] = [];
  const counts: Record<string, number> = {};
  let txn = firstTxn;
  for (let i = 0; i < ops; i++) {
    const card = pick(seed.cards);
    const at = ctx.clock.now();
    const t = ++txn;
    const scheme = pick(['AIR', 'MALL']);
    const r = rand();
    let kind: string;
    let prepare: Parameters<typeof runPoints>[1];
    let record: Done | null = null;
    if (r < 0.2) {
      kind = 'earn';
      const purchase = int(1, 60_000);
      prepare = (db) => prepareEarn(ctx, db, { cardId: card, merchantId: pick([COFFEE, SHOP]), amount: purchase, at, transactionId: t });
      record = { txn: t, kind: 'earn', purchase };
    } else if (r < 0.3) {
      kind = 'load';
      prepare = (db) => preparePointsLoad(ctx, db, { cardId: card, merchantId: SHOP, points: int(1, 3000), scheme, at, transactionId: t });
      record = { txn: t, kind: 'load' };
    } else if (r < 0.48) {
      kind = 'redeem';
      prepare = (db) => prepareRedeem(db, { cardId: card, merchantId: SHOP, points: int(1, 1500), scheme, partial: rand() < 0.5, at, transactionId: t });
      record = { txn: t, kind: 'redeem' };
    } else if (r < 0.6) {
      kind = 'exchange';
      prepare = (db) => prepareExchange(ctx, db, { cardId: card, merchantId: SHOP, points: int(1, 900), scheme, toScheme: scheme === 'AIR' ? 'MALL' : 'AIR', at, transactionId: t });
      record = { txn: t, kind: 'exchange' };
    } else if (r < 0.72) {
      kind = 'lottery';
      prepare = (db) => prepareLottery(ctx, db, { cardId: card, merchantId: COFFEE, game: 'WHEEL', at, transactionId: t }, () => Math.floor(rand() * DRAW_RANGE));
      record = { txn: t, kind: 'lottery' };
    } else if (r < 0.8) {
      const earns = done.filter((d) => d.kind === 'earn');
      if (earns.length === 0) continue;
      const e = pick(earns);
      kind = 'clawback';
      // A refund of part of the rewarded purchase (sometimes more than is left: capped), or its void.
      const returned = rand() < 0.2 ? 'all' as const : int(1, e.purchase!);
      prepare = (db) => prepareClawback(db, { earnTransactionId: e.txn, returned, at, transactionId: t });
      record = { txn: t, kind: 'clawback' };
    } else if (r < 0.93) {
      if (done.length === 0) continue;
      const original = pick(done);
      const mode = rand() < 0.5 ? 'void' as const : 'reversal' as const;
      kind = `${mode}:${original.kind}`;
      prepare = (db) => preparePointsReversal(db, { originalTransactionId: original.txn, mode, at, transactionId: t });
    } else if (r < 0.98) {
      kind = 'clock';
      ctx.clock.set(new Date(at.getTime() + int(1, 75) * 86_400_000 + int(0, 86_399) * 1000));
      prepare = null!;
    } else {
      kind = 'expiry';
      prepare = null!;
      await expirePoints(ctx, at);
    }
    if (i % 150 === 149) expect((await verifyLedger(ctx.db.pg)).violations, `after ${i + 1} operations`).toEqual([]);
    if (prepare) {
      const { outcome, entryIds }: { outcome: PointsOutcome; entryIds: number[] } = await runPoints(ctx, prepare);
      const key = `${kind} ${outcome.approved ? outcome.code : `declined ${outcome.code}`}`;
      counts[key] = (counts[key] ?? 0) + 1;
      if (outcome.approved && record) done.push(record);
      if (outcome.approved) expect(entryIds).toHaveLength(outcome.entries.length);
    } else {
      counts[kind] = (counts[kind] ?? 0) + 1;
    }
  }
  return { counts };
}

/** Invariant 3, computed here independently of verifyLedger: |float − r(outstanding × v)| ≤ ½ fen per entry that moved the scheme's points. */
async function schemeFloats(): Promise<{ code: string; outstanding: number; float: number; expected: number; moves: number }[]> {
  const { rows } = await ctx.db.pg.query<{ code: string; v: number; outstanding: number; float: number; moves: number }>(`
    select s.code, s.redemption_value as v,
      coalesce((select -sum(amount) from postings where account = 'scheme:' || s.id || ':issued' and asset = 'PTS:' || s.code), 0)::bigint as outstanding,
      coalesce((select sum(amount) from postings where account = 'scheme:' || s.id || ':float' and asset = s.currency), 0)::bigint as float,
      (select count(distinct entry_id) from postings where account = 'scheme:' || s.id || ':issued')::bigint as moves
    from schemes s order by s.code`);
  return rows.map((r) => {
    // r(x) half away from zero, in integers: outstanding × v / 10000 with v per 10,000 points.
    const n = BigInt(r.outstanding) * BigInt(r.v);
    const abs = n < 0n ? -n : n;
    const q = (2n * abs + 10_000n) / 20_000n;
    return { code: r.code, outstanding: r.outstanding, float: r.float, expected: Number(n < 0n ? -q : q), moves: r.moves };
  });
}

/**
 * Per entry and scheme, the money leg on the float against the points it moved: r(−Δissued × v) exactly
 * for every kind (design §4 rows; a negation of r(x) is r(−x) with half-away rounding), except a
 * claw-back (and its reversal), whose legs are the earn's negated in proportion with cumulative
 * rounding: within 1 fen. Much tighter than invariant 3's tolerance, so a drift of one fen shows.
 */
async function floatLegMismatches(): Promise<string[]> {
  const { rows } = await ctx.db.pg.query<{ id: number; kind: string; reverses: string | null; code: string; v: number; issued: number; float: number }>(`
    select e.id, e.kind, o.kind as reverses, s.code, s.redemption_value as v,
      coalesce(sum(p.amount) filter (where p.account = 'scheme:' || s.id || ':issued'), 0)::bigint as issued,
      coalesce(sum(p.amount) filter (where p.account = 'scheme:' || s.id || ':float'), 0)::bigint as float
    from entries e join postings p on p.entry_id = e.id
    join schemes s on p.account in ('scheme:' || s.id || ':issued', 'scheme:' || s.id || ':float')
    left join entries o on o.id = e.reverses_entry_id
    group by e.id, e.kind, o.kind, s.code, s.redemption_value order by e.id`);
  const out: string[] = [];
  for (const r of rows) {
    const n = BigInt(-r.issued) * BigInt(r.v);
    const abs = n < 0n ? -n : n;
    const q = Number((2n * abs + 10_000n) / 20_000n);
    const expected = n < 0n ? -q : q;
    const clawback = r.kind === 'points_clawback' || r.reverses === 'points_clawback';
    if (Math.abs(r.float - expected) > (clawback ? 1 : 0)) out.push(`entry ${r.id} ${r.kind} ${r.code}: float ${r.float}, r(${-r.issued} × v) = ${expected}`);
  }
  return out;
}

async function cardPointsTotal(asset: string): Promise<number> {
  const { rows: [r] } = await ctx.db.pg.query<{ n: number }>(`select coalesce(sum(balance), 0)::bigint as n from card_accounts where asset = $1`, [asset]);
  return r!.n;
}

describe('a random mixed points workload', () => {
  for (const [n, s] of [[1, 20261130], [2, 4242]] as const) {
    it(`keeps every scheme's float = r(outstanding × v) within tolerance, every float leg = r(points × v), and the ledger verified (seed ${s})`, async () => {
      const { counts } = await workload(prng(s), 300, n * 100_000);
      // The workload exercised what it claims to (a seed change that starves a path shows here).
      for (const k of ['earn 00', 'load 00', 'redeem 00', 'exchange 00', 'lottery 00', 'clawback 00', 'expiry']) {
        expect(counts[k] ?? 0, `${k} in ${JSON.stringify(counts)}`).toBeGreaterThan(0);
      }
      expect(Object.keys(counts).some((k) => k.startsWith('reversal:') && k.endsWith(' 00'))).toBe(true);
      expect(Object.keys(counts).some((k) => k.startsWith('void:') && k.endsWith(' 00'))).toBe(true);
      await expirePoints(ctx, ctx.clock.now());
      const { rows: kinds } = await ctx.db.pg.query<{ kind: string }>(`select distinct kind from entries order by kind`);
      expect(kinds.map((k) => k.kind)).toEqual(expect.arrayContaining(['points_expiry', 'points_clawback', 'lottery', 'lottery_prize', 'void', 'reversal']));

      for (const f of await schemeFloats()) {
        expect(Math.abs(f.float - f.expected) * 2, `scheme ${f.code}: ${JSON.stringify(f)}`).toBeLessThanOrEqual(f.moves);
        expect(await cardPointsTotal(`PTS:${f.code}`)).toBe(f.outstanding);
      }
      expect(await floatLegMismatches()).toEqual([]);
      const report = await verifyLedger(ctx.db.pg);
      expect(report.violations).toEqual([]);
      expect(report.ok).toBe(true);
      const audit = await auditGame(ctx, 'WHEEL');
      expect(audit.mismatches).toEqual([]);
      expect(audit.ok).toBe(true);
    });
  }
});
