import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { legsOf, lotsOf, pointsOf, runPoints, seedPoints } from '../helpers/points.js';
import { prepareEarn } from '../../src/points/earn.js';
import { prepareRedeem } from '../../src/points/redeem.js';
import { prepareClawback } from '../../src/points/clawback.js';
import { preparePointsReversal } from '../../src/points/reversal.js';
import { balancedEntry } from '../../src/ledger/entry.js';
import type { PointsOutcome } from '../../src/points/outcome.js';
import { verifyLedger } from '../../src/ledger/verify.js';

const ctx = await testContext();
const seed = await seedPoints(ctx);
const [c1, c2, c3] = seed.cards as [number, number, number];
const { COFFEE, SHOP } = seed.merchants;
const AIR = seed.schemes.AIR;
const at = () => ctx.clock.now();
const card = (id: number) => `card:${id}:points:AIR PTS:AIR`;
const issued = `scheme:${AIR}:issued PTS:AIR`;
const float = `scheme:${AIR}:float CNY`;
const merchant = `merchant:${COFFEE} CNY`;

/** An earn of 300 AIR points for a 10000 fen purchase: merchant -r(370.35) = -370, float +r(296.28) = 296, spread 74. */
async function earn(cardId: number, transactionId: number, withChannelFee = false) {
  return runPoints(ctx, async (db) => {
    const o = await prepareEarn(ctx, db, { cardId, merchantId: COFFEE, amount: 10000, at: at(), transactionId });
    if (!o.approved || !withChannelFee) return o;
    // As the pipeline does (design §4: fees are posted in the same entry): the channel's fixed fee (3 fen)
    // as two more legs of the earn entry. The options must not carry the entry's own `postings`:
    // spread last into the built entry, they would silently replace the legs with fee.
    const { kind, postings, ...opts } = o.entries[0]!;
    const fee = [{ account: 'channel:9', asset: 'CNY', amount: 3 }, { account: 'revenue:channel_fees', asset: 'CNY', amount: -3 }];
    return { ...o, entries: [balancedEntry(kind, [...postings, ...fee], opts)] } satisfies PointsOutcome;
  });
}

/** What channel 9 is owed net for the earn of transaction `txn` and everything that reverses it. */
async function channelFeesOf(txn: number): Promise<number> {
  const { rows: [r] } = await ctx.db.pg.query<{ n: number }>(`
    select coalesce(sum(p.amount), 0)::bigint as n from postings p join entries e on e.id = p.entry_id
    where p.account = 'channel:9' and (e.transaction_id = $1 or e.reverses_entry_id in (select id from entries where transaction_id = $1))`, [txn]);
  return r!.n;
}

describe('claw-back of earned points', () => {
  it('takes a refund\'s share back with cumulative rounding, capped at the points on the card, reporting the shortfall', async () => {
    const { entryIds: [earnId] } = await earn(c1, 10);
    expect(await legsOf(ctx, earnId!)).toEqual({ [card(c1)]: 300, [issued]: -300, [merchant]: -370, [float]: 296, 'revenue:points_spread CNY': 74 });

    // Refund 3333 of 10000: r(300 × 0.3333) = r(99.99) = 100 points. Money T 0→100 of 300:
    // merchant r(-370/3) = r(-123.33) = -123 → +123; float r(98.67) = 99 → -99; spread -(123 - 99) = -24.
    const first = await runPoints(ctx, (db) => prepareClawback(db, { earnTransactionId: 10, returned: 3333, at: at(), transactionId: 11 }));
    expect(first.outcome).toMatchObject({ approved: true, detail: { points_intended: 100, points_clawed_back: 100, shortfall: 0 } });
    expect(await legsOf(ctx, first.entryIds[0]!)).toEqual({ [card(c1)]: -100, [issued]: 100, [merchant]: 123, [float]: -99, 'revenue:points_spread CNY': -24 });
    const { rows: [e] } = await ctx.db.pg.query('select kind, reverses_entry_id from entries where id = $1', [first.entryIds[0]]);
    expect(e).toEqual({ kind: 'points_clawback', reverses_entry_id: earnId });

    // The cardholder spends 150 of the remaining 200; the next refund of 3333 intends r(199.98) - 100 = 100
    // points but only 50 are left. T 100→150: merchant -185 - (-123) = -62 → +62; float 148 - 99 = 49 → -49; spread -13.
    await runPoints(ctx, (db) => prepareRedeem(db, { cardId: c1, merchantId: SHOP, points: 150, at: at(), transactionId: 12 }));
    const second = await runPoints(ctx, (db) => prepareClawback(db, { earnTransactionId: 10, returned: 3333, at: at(), transactionId: 13 }));
    expect(second.outcome).toMatchObject({ approved: true, message: 'claw-back short by 50 points', detail: { points_intended: 100, points_clawed_back: 50, shortfall: 50 } });
    expect(await legsOf(ctx, second.entryIds[0]!)).toEqual({ [card(c1)]: -50, [issued]: 50, [merchant]: 62, [float]: -49, 'revenue:points_spread CNY': -13 });
    expect(await pointsOf(ctx, c1, 'AIR')).toBe(0);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('a reversed refund gives its clawed-back points back to their lots and leaves the earn\'s claw-back state as before it', async () => {
    const rev = await runPoints(ctx, (db) => preparePointsReversal(db, { originalTransactionId: 13, mode: 'reversal', at: at(), transactionId: 14 }));
    expect(rev.outcome).toMatchObject({ approved: true, code: '00' });
    expect(await legsOf(ctx, rev.entryIds[0]!)).toEqual({ [card(c1)]: 50, [issued]: -50, [merchant]: -62, [float]: 49, 'revenue:points_spread CNY': 13 });
    expect(await pointsOf(ctx, c1, 'AIR')).toBe(50);
    expect((await lotsOf(ctx, c1, AIR)).map((l) => l.remaining)).toEqual([50]);

    // A void of the purchase now takes everything not yet returned: 300 - 100 = 200 points intended, 50 on the
    // card. T 100→150 again: the same legs as the reversed claw-back.
    const all = await runPoints(ctx, (db) => prepareClawback(db, { earnTransactionId: 10, returned: 'all', at: at(), transactionId: 15 }));
    expect(all.outcome).toMatchObject({ detail: { points_intended: 200, points_clawed_back: 50, shortfall: 150 } });
    expect(await legsOf(ctx, all.entryIds[0]!)).toEqual({ [card(c1)]: -50, [issued]: 50, [merchant]: 62, [float]: -49, 'revenue:points_spread CNY': -13 });

    // Everything returned: a further claw-back has nothing to take.
    const none = await runPoints(ctx, (db) => prepareClawback(db, { earnTransactionId: 10, returned: 1, at: at(), transactionId: 16 }));
    expect(none).toMatchObject({ outcome: { detail: { points_intended: 0, points_clawed_back: 0 } }, entryIds: [] });
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('a reversal of the earn itself claws back all its points and negates its channel fee; a repeat does nothing', async () => {
    const { entryIds: [earnId] } = await earn(c2, 20, true);
    expect(await legsOf(ctx, earnId!)).toMatchObject({ 'channel:9 CNY': 3, 'revenue:channel_fees CNY': -3 }); // one entry, fee included
    const rev = await runPoints(ctx, (db) => preparePointsReversal(db, { originalTransactionId: 20, mode: 'reversal', at: at(), transactionId: 21 }));
    expect(rev.outcome).toMatchObject({ approved: true, detail: { points_clawed_back: 300, shortfall: 0 } });
    expect(rev.entryIds).toHaveLength(2);
    expect(await legsOf(ctx, rev.entryIds[0]!)).toEqual({ [card(c2)]: -300, [issued]: 300, [merchant]: 370, [float]: -296, 'revenue:points_spread CNY': -74 });
    expect(await legsOf(ctx, rev.entryIds[1]!)).toEqual({ 'channel:9 CNY': -3, 'revenue:channel_fees CNY': 3 });
    const { rows: kinds } = await ctx.db.pg.query('select kind, reverses_entry_id from entries where id = any($1::bigint[]) order by id', [rev.entryIds]);
    expect(kinds).toEqual([{ kind: 'points_clawback', reverses_entry_id: earnId }, { kind: 'reversal', reverses_entry_id: earnId }]);
    expect(await channelFeesOf(20)).toBe(0);
    expect(await pointsOf(ctx, c2, 'AIR')).toBe(0);
    const again = await runPoints(ctx, (db) => preparePointsReversal(db, { originalTransactionId: 20, mode: 'reversal', at: at(), transactionId: 22 }));
    expect(again).toMatchObject({ outcome: { approved: true, alreadyReversed: true }, entryIds: [] });
  });

  it('a void of the earn keeps the channel fee and never goes negative: points already spent are the shortfall', async () => {
    const { entryIds: [earnId] } = await earn(c3, 30, true);
    expect(await legsOf(ctx, earnId!)).toMatchObject({ 'channel:9 CNY': 3 });
    await runPoints(ctx, (db) => prepareRedeem(db, { cardId: c3, merchantId: SHOP, points: 280, at: at() }));
    const v = await runPoints(ctx, (db) => preparePointsReversal(db, { originalTransactionId: 30, mode: 'void', at: at(), transactionId: 31 }));
    // 20 points left: T 0→20 of 300: merchant r(-24.67) = -25 → +25; float r(19.73) = 20 → -20; spread -5.
    expect(v.outcome).toMatchObject({ approved: true, detail: { points_clawed_back: 20, shortfall: 280 } });
    expect(v.entryIds).toHaveLength(1);
    expect(await legsOf(ctx, v.entryIds[0]!)).toEqual({ [card(c3)]: -20, [issued]: 20, [merchant]: 25, [float]: -20, 'revenue:points_spread CNY': -5 });
    expect(await pointsOf(ctx, c3, 'AIR')).toBe(0);
    expect(await channelFeesOf(30)).toBe(3); // the channel did the work: its fee stays
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });
});
