import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { legsOf, lotsOf, pointsOf, runPoints, seedPoints } from '../helpers/points.js';
import { prepareEarn, preparePointsLoad } from '../../src/points/earn.js';
import { prepareRedeem } from '../../src/points/redeem.js';
import { applyLotEffect, pointsBalances } from '../../src/points/lots.js';
import { withTransaction } from '../../src/db/tx.js';
import { verifyLedger } from '../../src/ledger/verify.js';

const ctx = await testContext();
const seed = await seedPoints(ctx);
const [c1, c2, c3] = seed.cards as [number, number, number];
const { COFFEE, SHOP, OUTSIDER } = seed.merchants;
const at = () => ctx.clock.now();

describe('points_earn', () => {
  it('posts p = floor(a × rate / 100) funded by the merchant at the issue price, with one lot', async () => {
    // a = 12345 fen at 3 points per 100 fen: p = floor(370.35) = 370. Issue price 1.2345: r(456.765) = 457;
    // redemption value 0.9876: r(365.412) = 365; spread 457 - 365 = 92.
    const { outcome, entryIds } = await runPoints(ctx, (db) => prepareEarn(ctx, db, { cardId: c1, merchantId: COFFEE, amount: 12345, at: at(), transactionId: 1 }));
    expect(outcome).toMatchObject({ approved: true, code: '00', detail: { scheme: 'AIR', points: 370 } });
    expect(await legsOf(ctx, entryIds[0]!)).toEqual({
      [`card:${c1}:points:AIR PTS:AIR`]: 370, [`scheme:${seed.schemes.AIR}:issued PTS:AIR`]: -370,
      [`merchant:${COFFEE} CNY`]: -457, [`scheme:${seed.schemes.AIR}:float CNY`]: 365, 'revenue:points_spread CNY': 92,
    });
    const { rows: [e] } = await ctx.db.pg.query('select kind, merchant_id, transaction_id from entries where id = $1', [entryIds[0]]);
    expect(e).toEqual({ kind: 'points_earn', merchant_id: COFFEE, transaction_id: 1 });
    const lots = await lotsOf(ctx, c1, seed.schemes.AIR);
    // Earned 2026-03-10 (Shanghai), AIR valid 12 months: spendable through 2027-03-31, expiring at that day's cut-off.
    expect(lots).toEqual([{ id: lots[0]!.id, points: 370, remaining: 370, expires_at: new Date('2027-04-01T00:00:00+08:00') }]);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('caps the points of one transaction', async () => {
    const { outcome } = await runPoints(ctx, (db) => prepareEarn(ctx, db, { cardId: c2, merchantId: COFFEE, amount: 20000, at: at() }));
    expect(outcome).toMatchObject({ approved: true, detail: { points: 500 } }); // 600 capped at 500
    expect(await pointsOf(ctx, c2, 'AIR')).toBe(500);
  });

  it('approves a purchase too small to earn a point with nothing posted', async () => {
    const { outcome, entryIds } = await runPoints(ctx, (db) => prepareEarn(ctx, db, { cardId: c3, merchantId: SHOP, amount: 99, at: at() }));
    expect(outcome).toMatchObject({ approved: true, code: '00', detail: { scheme: 'MALL', points: 0 } });
    expect(entryIds).toEqual([]);
  });

  it('declines 12 at a merchant without an earn rule, 57 on a stored-value card, 13 on a non-positive amount', async () => {
    expect((await runPoints(ctx, (db) => prepareEarn(ctx, db, { cardId: c1, merchantId: OUTSIDER, amount: 1000, at: at() }))).outcome).toMatchObject({ approved: false, code: '12' });
    expect((await runPoints(ctx, (db) => prepareEarn(ctx, db, { cardId: seed.svCard, merchantId: COFFEE, amount: 1000, at: at() }))).outcome).toMatchObject({ approved: false, code: '57' });
    expect((await runPoints(ctx, (db) => prepareEarn(ctx, db, { cardId: c1, merchantId: COFFEE, amount: 0, at: at() }))).outcome).toMatchObject({ approved: false, code: '13' });
  });
});

describe('points_load', () => {
  it('sells points at the sale price: merchant -r(p × sale), float +r(p × v), spread the difference', async () => {
    // 1000 points at 1.1111: r(1111.1) = 1111; float r(987.6) = 988; spread 123.
    const { outcome, entryIds } = await runPoints(ctx, (db) => preparePointsLoad(ctx, db, { cardId: c3, merchantId: COFFEE, points: 1000, at: at() }));
    expect(outcome).toMatchObject({ approved: true, code: '00', amountApproved: 1000 });
    expect(await legsOf(ctx, entryIds[0]!)).toEqual({
      [`card:${c3}:points:AIR PTS:AIR`]: 1000, [`scheme:${seed.schemes.AIR}:issued PTS:AIR`]: -1000,
      [`merchant:${COFFEE} CNY`]: -1111, [`scheme:${seed.schemes.AIR}:float CNY`]: 988, 'revenue:points_spread CNY': 123,
    });
  });

  it('declines 57 when the merchant does not accept the scheme and 12 for an unknown scheme', async () => {
    // COFFEE accepts AIR (earn scheme and alliance) but not MALL.
    expect((await runPoints(ctx, (db) => preparePointsLoad(ctx, db, { cardId: c3, merchantId: COFFEE, points: 10, scheme: 'MALL', at: at() }))).outcome).toMatchObject({ approved: false, code: '57' });
    expect((await runPoints(ctx, (db) => preparePointsLoad(ctx, db, { cardId: c3, merchantId: COFFEE, points: 10, scheme: 'NOPE', at: at() }))).outcome).toMatchObject({ approved: false, code: '12' });
  });
});

describe('points_redeem', () => {
  it('pays the merchant r(p × v) out of the float and consumes lots oldest-first', async () => {
    // c1 holds lot A = 370 (earned above); add lot B = 200 a month later (expires a month later).
    ctx.clock.set('2026-04-10T10:00:00+08:00');
    await runPoints(ctx, (db) => preparePointsLoad(ctx, db, { cardId: c1, merchantId: COFFEE, points: 200, at: at() }));
    // Redeem 400 at SHOP (accepts AIR through the alliance): float -r(395.04) = -395, merchant +395.
    const { outcome, entryIds } = await runPoints(ctx, (db) => prepareRedeem(db, { cardId: c1, merchantId: SHOP, points: 400, at: at() }));
    expect(outcome).toMatchObject({ approved: true, code: '00', amountApproved: 400 });
    expect(await legsOf(ctx, entryIds[0]!)).toEqual({
      [`card:${c1}:points:AIR PTS:AIR`]: -400, [`scheme:${seed.schemes.AIR}:issued PTS:AIR`]: 400,
      [`scheme:${seed.schemes.AIR}:float CNY`]: -395, [`merchant:${SHOP} CNY`]: 395,
    });
    expect((await lotsOf(ctx, c1, seed.schemes.AIR)).map((l) => l.remaining)).toEqual([0, 170]);
    expect(await pointsBalances(ctx.db.pg, c1, at())).toEqual({ AIR: 170 });
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('declines 51 above the spendable points, and approves them partially (10) with partial', async () => {
    expect((await runPoints(ctx, (db) => prepareRedeem(db, { cardId: c1, merchantId: SHOP, points: 171, at: at() }))).outcome).toMatchObject({ approved: false, code: '51' });
    const { outcome } = await runPoints(ctx, (db) => prepareRedeem(db, { cardId: c1, merchantId: SHOP, points: 171, partial: true, at: at() }));
    expect(outcome).toMatchObject({ approved: true, code: '10', amountRequested: 171, amountApproved: 170 });
    expect(await pointsOf(ctx, c1, 'AIR')).toBe(0);
    expect((await runPoints(ctx, (db) => prepareRedeem(db, { cardId: c1, merchantId: SHOP, points: 5, partial: true, at: at() }))).outcome).toMatchObject({ approved: false, code: '51' });
  });

  it('does not spend expired points that the expiry job has not yet taken', async () => {
    // c2's 500 points were earned 2026-03-10 and expire 2027-04-01 00:00 Shanghai.
    const later = new Date('2027-04-01T00:00:00+08:00');
    expect((await runPoints(ctx, (db) => prepareRedeem(db, { cardId: c2, merchantId: COFFEE, points: 1, at: later }))).outcome).toMatchObject({ approved: false, code: '51' });
    expect(await pointsBalances(ctx.db.pg, c2, later)).toEqual({ AIR: 0 });
    expect(await pointsOf(ctx, c2, 'AIR')).toBe(500);
  });

  it('declines 57 at a merchant that does not accept the scheme', async () => {
    expect((await runPoints(ctx, (db) => prepareRedeem(db, { cardId: c3, merchantId: OUTSIDER, points: 1, at: at() }))).outcome).toMatchObject({ approved: false, code: '57' });
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });
});

describe('the bookkeeping statements check what the decision counted on', () => {
  it('a lot debit larger than the lots hold fails in SQL, and nothing of it is applied', async () => {
    const [c4] = seed.cards.slice(3) as [number];
    const { entryIds } = await runPoints(ctx, (db) => preparePointsLoad(ctx, db, { cardId: c4, merchantId: COFFEE, points: 300, at: at() }));
    const lotsBefore = await lotsOf(ctx, c4, seed.schemes.AIR);
    const debit = { type: 'lot_debit' as const, entry: 0, cardId: c4, schemeId: seed.schemes.AIR, points: 301, spendableAt: at(), preferSourceEntryIds: [] };
    await expect(withTransaction(ctx.db.pg, (c) => applyLotEffect(c, debit, entryIds[0]!))).rejects.toThrow(/points_lots_short/);
    expect(await lotsOf(ctx, c4, seed.schemes.AIR)).toEqual(lotsBefore);
    // Exactly what they hold is taken, oldest first.
    await withTransaction(ctx.db.pg, (c) => applyLotEffect(c, { ...debit, points: 300 }, entryIds[0]!));
    expect((await lotsOf(ctx, c4, seed.schemes.AIR)).map((l) => l.remaining)).toEqual([0]);
  });
});
