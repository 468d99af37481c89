import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { legsOf, lotsOf, pointsOf, runPoints, seedPoints } from '../helpers/points.js';
import { preparePointsLoad } from '../../src/points/earn.js';
import { prepareRedeem } from '../../src/points/redeem.js';
import { expirePoints } from '../../src/points/expiry.js';
import { pointsBalances } from '../../src/points/lots.js';
import { preparePointsReversal } from '../../src/points/reversal.js';
import { verifyLedger } from '../../src/ledger/verify.js';

const ctx = await testContext();
const seed = await seedPoints(ctx, 4);
const [c1, c2, c3, c4] = seed.cards as [number, number, number, number];
const { COFFEE, SHOP } = seed.merchants;
const { AIR, MALL } = seed.schemes;

/** AIR lots are valid 12 months, to the cut-off ending the last day of the month. */
const load = (cardId: number, points: number, at: string, scheme = 'AIR') =>
  runPoints(ctx, (db) => preparePointsLoad(ctx, db, { cardId, merchantId: SHOP, points, scheme, at: new Date(at) }));
const expiryEntries = async () => (await ctx.db.pg.query<{ id: number; card: number }>(
  `select e.id, (select p.card_id from postings p where p.entry_id = e.id and p.card_id is not null limit 1) as card
   from entries e where kind = 'points_expiry' order by id`)).rows;

// c1: a May lot credited first (expires 2027-06-01), then a March lot (expires 2027-04-01): the March
// lot has the higher id but is older by expiry. c2 alike, plus MALL points that never expire.
await load(c1, 300, '2026-05-10T10:00:00+08:00');
await load(c1, 200, '2026-03-10T10:00:00+08:00');
await load(c2, 400, '2026-05-10T10:00:00+08:00');
await load(c2, 100, '2026-03-10T10:00:00+08:00');
await load(c2, 70, '2026-03-10T10:00:00+08:00', 'MALL');
await load(c3, 90, '2026-03-20T10:00:00+08:00');

describe('points lots and expiry', () => {
  it('a reversed redemption puts the points back into the very lots it consumed', async () => {
    await load(c4, 100, '2026-03-10T10:00:00+08:00');
    await load(c4, 100, '2026-04-10T10:00:00+08:00');
    await load(c4, 100, '2026-05-10T10:00:00+08:00');
    await runPoints(ctx, (db) => prepareRedeem(db, { cardId: c4, merchantId: COFFEE, points: 150, at: ctx.clock.now(), transactionId: 77 }));
    expect((await lotsOf(ctx, c4, AIR)).map((l) => l.remaining)).toEqual([0, 50, 100]);
    await runPoints(ctx, (db) => prepareRedeem(db, { cardId: c4, merchantId: COFFEE, points: 120, at: ctx.clock.now(), transactionId: 78 }));
    expect((await lotsOf(ctx, c4, AIR)).map((l) => l.remaining)).toEqual([0, 0, 30]);
    const rev = await runPoints(ctx, (db) => preparePointsReversal(db, { originalTransactionId: 77, mode: 'reversal', at: ctx.clock.now(), transactionId: 79 }));
    expect(rev.outcome).toMatchObject({ approved: true, code: '00' });
    expect((await lotsOf(ctx, c4, AIR)).map((l) => l.remaining)).toEqual([100, 50, 30]); // 100 to the March lot, 50 to April
    expect(await pointsOf(ctx, c4, 'AIR')).toBe(180);
    await runPoints(ctx, (db) => prepareRedeem(db, { cardId: c4, merchantId: COFFEE, points: 180, at: ctx.clock.now() }));
    expect((await verifyLedger(ctx.db.pg)).violations).toEqual([]);
  });

  it('spending consumes the lot that expires first, not the one credited first', async () => {
    expect((await lotsOf(ctx, c1, AIR)).map((l) => [l.points, l.expires_at])).toEqual([
      [300, new Date('2027-06-01T00:00:00+08:00')], [200, new Date('2027-04-01T00:00:00+08:00')],
    ]);
    await runPoints(ctx, (db) => prepareRedeem(db, { cardId: c1, merchantId: COFFEE, points: 250, at: ctx.clock.now() }));
    expect((await lotsOf(ctx, c1, AIR)).map((l) => l.remaining)).toEqual([250, 0]);
    await runPoints(ctx, (db) => prepareRedeem(db, { cardId: c2, merchantId: COFFEE, points: 60, at: ctx.clock.now() }));
    expect((await lotsOf(ctx, c2, AIR)).map((l) => l.remaining)).toEqual([400, 40]);
  });

  it('expired points stay on the card, unspendable, until the expiry job takes them', async () => {
    const expired = new Date('2027-04-01T00:00:00+08:00');
    expect(await pointsBalances(ctx.db.pg, c2, expired)).toEqual({ AIR: 400, MALL: 70 });
    expect(await pointsOf(ctx, c2, 'AIR')).toBe(440);
    expect((await runPoints(ctx, (db) => prepareRedeem(db, { cardId: c3, merchantId: COFFEE, points: 1, at: expired }))).outcome).toMatchObject({ approved: false, code: '51' });
    expect(await expiryEntries()).toEqual([]);
  });

  it('the expiry job posts points breakage once per card and scheme for the expired lots only', async () => {
    ctx.clock.set('2027-04-01T00:00:00+08:00');
    const run = await expirePoints(ctx, ctx.clock.now());
    // c1's March lot is empty (spent), c2's March lot holds 40, c3's lot 90; May lots and MALL points live on.
    expect(run).toMatchObject({ cards: 2, lots: 2, points: 130, entries: 2 });
    const entries = await expiryEntries();
    expect(entries.map((e) => e.card)).toEqual([c2, c3]);
    // 40 points: float −r(39.504) = −40; 90 points: −r(88.884) = −89.
    expect(await legsOf(ctx, entries[0]!.id)).toEqual({
      [`card:${c2}:points:AIR PTS:AIR`]: -40, [`scheme:${AIR}:issued PTS:AIR`]: 40, [`scheme:${AIR}:float CNY`]: -40, 'revenue:points_breakage CNY': 40,
    });
    expect(await legsOf(ctx, entries[1]!.id)).toMatchObject({ [`scheme:${AIR}:float CNY`]: -89, 'revenue:points_breakage CNY': 89 });
    expect((await lotsOf(ctx, c2, AIR)).map((l) => l.remaining)).toEqual([400, 0]);
    expect((await lotsOf(ctx, c2, MALL)).map((l) => l.remaining)).toEqual([70]);
    expect(await pointsOf(ctx, c2, 'AIR')).toBe(400);
    expect(await pointsOf(ctx, c3, 'AIR')).toBe(0);
    const { rows: moves } = await ctx.db.pg.query('select card_id, points from points_lot_moves where entry_id = any($1::bigint[]) order by card_id', [entries.map((e) => e.id)]);
    expect(moves).toEqual([{ card_id: c2, points: -40 }, { card_id: c3, points: -90 }]);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('running the job again, even twice at once, posts nothing more', async () => {
    expect(await expirePoints(ctx, ctx.clock.now())).toMatchObject({ cards: 0, lots: 0, points: 0, entries: 0 });
    const both = await Promise.all([expirePoints(ctx, ctx.clock.now()), expirePoints(ctx, ctx.clock.now())]);
    expect(both.map((r) => r.entries)).toEqual([0, 0]);
    expect(await expiryEntries()).toHaveLength(2);
  });

  it('two concurrent first runs at a later date expire each lot once between them', async () => {
    ctx.clock.set('2027-06-01T00:00:00+08:00');
    const both = await Promise.all([expirePoints(ctx, ctx.clock.now()), expirePoints(ctx, ctx.clock.now())]);
    // The May lots: c1 250, c2 400.
    expect(both.reduce((n, r) => n + r.points, 0)).toBe(650);
    expect(both.reduce((n, r) => n + r.entries, 0)).toBe(2);
    expect(await expiryEntries()).toHaveLength(4);
    expect(await pointsOf(ctx, c1, 'AIR')).toBe(0);
    expect(await pointsOf(ctx, c2, 'MALL')).toBe(70);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });
});
