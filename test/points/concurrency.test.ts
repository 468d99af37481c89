import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { lotsOf, pointsOf, runPoints, seedPoints } from '../helpers/points.js';
import { preparePointsLoad } from '../../src/points/earn.js';
import { prepareRedeem } from '../../src/points/redeem.js';
import { prepareExchange } from '../../src/points/exchange.js';
import { prepareEarn } from '../../src/points/earn.js';
import { prepareClawback } from '../../src/points/clawback.js';
import { setRate } from '../../src/registry/schemes.js';
import { verifyLedger } from '../../src/ledger/verify.js';

// Each request runs as the pipeline runs it (prepare → post → finish in one transaction) on its own
// pooled connection, so the requests really race in PostgreSQL.
const ctx = await testContext();
const seed = await seedPoints(ctx, 4);
const [c1, c2, c3, c4] = seed.cards as [number, number, number, number];
const { COFFEE, SHOP } = seed.merchants;
const { AIR, MALL } = seed.schemes;
const at = () => ctx.clock.now();
const load = (cardId: number, points: number, scheme = 'AIR') =>
  runPoints(ctx, (db) => preparePointsLoad(ctx, db, { cardId, merchantId: SHOP, points, scheme, at: at() }));
const redeem = (cardId: number, points: number, partial = false) =>
  runPoints(ctx, (db) => prepareRedeem(db, { cardId, merchantId: SHOP, points, partial, at: at() })).then((r) => r.outcome);

await setRate(ctx, { from: 'AIR', to: 'MALL', rate: '2', effectiveAt: '2026-01-01' });
await setRate(ctx, { from: 'MALL', to: 'AIR', rate: '0.5', effectiveAt: '2026-01-01' });

describe('concurrent points spending', () => {
  it('30 concurrent redemptions of the whole balance: exactly one wins, the others decline 51', async () => {
    await load(c1, 400);
    await load(c1, 600);
    const results = await Promise.all(Array.from({ length: 30 }, () => redeem(c1, 1000)));
    expect(results.filter((r) => r.approved)).toHaveLength(1);
    expect(results.filter((r) => !r.approved).map((r) => r.code)).toEqual(Array(29).fill('51'));
    expect(await pointsOf(ctx, c1, 'AIR')).toBe(0);
    expect((await lotsOf(ctx, c1, AIR)).map((l) => l.remaining)).toEqual([0, 0]);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('30 concurrent partial redemptions of 70 against 1000 points spend exactly 1000, never more', async () => {
    await load(c2, 1000);
    const results = await Promise.all(Array.from({ length: 30 }, () => redeem(c2, 70, true)));
    const approved = results.flatMap((r) => (r.approved ? [r] : []));
    expect(approved.reduce((n, r) => n + r.amountApproved, 0)).toBe(1000);
    expect(approved.filter((r) => r.code === '00')).toHaveLength(14); // 14 × 70 = 980
    expect(approved.filter((r) => r.code === '10').map((r) => r.amountApproved)).toEqual([20]);
    expect(results.filter((r) => !r.approved)).toHaveLength(15);
    expect(await pointsOf(ctx, c2, 'AIR')).toBe(0);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('exchanges both ways racing with redemptions on one card never overdraw either scheme; lots match balances', async () => {
    await load(c3, 500);
    await load(c3, 500, 'MALL');
    const jobs = Array.from({ length: 24 }, (_, i) => {
      if (i % 3 === 0) return runPoints(ctx, (db) => prepareExchange(ctx, db, { cardId: c3, merchantId: SHOP, points: 100, toScheme: 'MALL', at: at() }));
      if (i % 3 === 1) return runPoints(ctx, (db) => prepareExchange(ctx, db, { cardId: c3, merchantId: SHOP, points: 100, scheme: 'MALL', toScheme: 'AIR', at: at() }));
      return runPoints(ctx, (db) => prepareRedeem(db, { cardId: c3, merchantId: SHOP, points: 150, scheme: i % 2 ? 'AIR' : 'MALL', at: at() }));
    });
    const results = await Promise.all(jobs);
    expect(results.every((r) => r.outcome.approved || r.outcome.code === '51')).toBe(true);
    const lots = async (scheme: number) => (await lotsOf(ctx, c3, scheme)).reduce((n, l) => n + l.remaining, 0);
    expect(await lots(AIR)).toBe(await pointsOf(ctx, c3, 'AIR'));
    expect(await lots(MALL)).toBe(await pointsOf(ctx, c3, 'MALL'));
    const report = await verifyLedger(ctx.db.pg);
    expect(report.violations).toEqual([]);
  });

  it('concurrent refunds of a rewarded purchase claw back exactly the earned points in total, never more', async () => {
    // 10000 fen at COFFEE earns 300 AIR points; 12 refunds of 1000 fen race: the first 10 return the
    // purchase (r(300 × k / 10) cumulatively: 30 each), the last two find nothing left to return.
    await runPoints(ctx, (db) => prepareEarn(ctx, db, { cardId: c4, merchantId: COFFEE, amount: 10_000, at: at(), transactionId: 500 }));
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) =>
      runPoints(ctx, (db) => prepareClawback(db, { earnTransactionId: 500, returned: 1000, at: at(), transactionId: 501 + i }))));
    const taken = results.map((r) => (r.outcome.approved ? r.outcome.amountApproved : -1));
    expect(taken.reduce((n, t) => n + t, 0)).toBe(300);
    expect(taken.filter((t) => t === 30)).toHaveLength(10);
    expect(await pointsOf(ctx, c4, 'AIR')).toBe(0);
    const { rows: [state] } = await ctx.db.pg.query<{ returned: number; clawed: number }>(
      'select sum(returned_amount)::bigint as returned, sum(points_clawed)::bigint as clawed from points_clawbacks where card_id = $1', [c4]);
    expect(state).toEqual({ returned: 10_000, clawed: 300 });
    expect((await verifyLedger(ctx.db.pg)).violations).toEqual([]);
  });
});
