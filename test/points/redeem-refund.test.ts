import { beforeAll, describe, expect, it } from 'vitest';
import { mallFixture, type MallFixture } from '../helpers/mall.js';
import { verifyLedger } from '../../src/ledger/verify.js';

let f: MallFixture;
beforeAll(async () => {
  f = await mallFixture(2);
}, 60_000);

const lotsOf = async (cardId: number) => Number((await f.ctx.db.pg.query("select coalesce(sum(remaining), 0)::bigint as s from points_lots where card_id = $1", [cardId])).rows[0].s);
const merchantLegs = async (txnId: number) => Number((await f.ctx.db.pg.query(
  "select coalesce(sum(p.amount), 0)::bigint as s from postings p join entries e on e.id = p.entry_id where e.transaction_id = $1 and p.account like 'merchant:%'", [txnId])).rows[0].s);

describe('refund of a points_redeem over HTTP', () => {
  it('returns the points in proportion with cumulative rounding, never more than redeemed', async () => {
    const h = f.holders[0]!;
    const r = await f.send({ request_id: 'redeem-1', type: 'points_redeem', card: h.pan, amount: 300, merchant: 'SHOP', terminal: 'S1' });
    expect([r.body.response_code, await f.points(h.cardId)]).toEqual(['00', 700]);
    expect(await merchantLegs(r.body.transaction_id as number)).toBe(150); // 300 points × 0.5 fen
    const a = await f.send({ request_id: 'rf-1', type: 'refund', original_request_id: 'redeem-1', amount: 101, merchant: 'SHOP', terminal: 'S1' });
    expect([a.body.response_code, a.body.amount_approved, await f.points(h.cardId)]).toEqual(['00', 101, 801]);
    expect(await merchantLegs(a.body.transaction_id as number)).toBe(-51); // r(150 × 101 / 300) = r(50.5)
    const over = await f.send({ request_id: 'rf-2', type: 'refund', original_request_id: 'redeem-1', amount: 200, merchant: 'SHOP', terminal: 'S1' });
    expect(over.body.response_code).toBe('13');
    const b = await f.send({ request_id: 'rf-3', type: 'refund', original_request_id: 'redeem-1', amount: 199, merchant: 'SHOP', terminal: 'S1' });
    expect([b.body.response_code, await f.points(h.cardId)]).toEqual(['00', 1000]);
    expect(await merchantLegs(b.body.transaction_id as number)).toBe(-99); // 150 − 51: the full refund returns exactly the redemption value
    expect(await lotsOf(h.cardId)).toBe(1000);
    const again = await f.send({ request_id: 'rf-4', type: 'refund', original_request_id: 'redeem-1', amount: 1, merchant: 'SHOP', terminal: 'S1' });
    expect(again.body.response_code).toBe('13');
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });

  it('a voided refund takes the points back from the lots again', async () => {
    const h = f.holders[1]!;
    expect((await f.send({ request_id: 'redeem-2', type: 'points_redeem', card: h.pan, amount: 400, merchant: 'SHOP', terminal: 'S1' })).body.response_code).toBe('00');
    expect((await f.send({ request_id: 'rf-5', type: 'refund', original_request_id: 'redeem-2', amount: 150, merchant: 'SHOP', terminal: 'S1' })).body.response_code).toBe('00');
    expect(await f.points(h.cardId)).toBe(750);
    expect((await f.send({ request_id: 'vd-5', type: 'void', original_request_id: 'rf-5', merchant: 'SHOP', terminal: 'S1' })).body.response_code).toBe('00');
    expect([await f.points(h.cardId), await lotsOf(h.cardId)]).toEqual([600, 600]);
    // The voided refund no longer counts: 400 remain refundable.
    expect((await f.send({ request_id: 'rf-6', type: 'refund', original_request_id: 'redeem-2', amount: 400, merchant: 'SHOP', terminal: 'S1' })).body.response_code).toBe('00');
    expect([await f.points(h.cardId), await lotsOf(h.cardId)]).toEqual([1000, 1000]);
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });
});
