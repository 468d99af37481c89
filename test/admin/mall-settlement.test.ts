import { beforeAll, describe, expect, it } from 'vitest';
import { mallFixture, type MallFixture } from '../helpers/mall.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { settleBusinessDate } from '../../src/settlement/settle.js';
import { localDate } from '../../src/ledger/calendar.js';
import { tempDir } from '../helpers/batch.js';

let f: MallFixture;
let shop: string;
let mug: number;
beforeAll(async () => {
  f = await mallFixture(3);
  shop = await f.login('shop');
  mug = (await f.call('POST', '/goods', { token: shop, body: { code: 'MUG', name: 'Mug', points_price: 300, cash_price: 2000, stock: 10 } })).body.id as number;
}, 60_000);

const order = (i: number, body: Record<string, unknown>) =>
  f.call('POST', '/orders', { token: f.holders[i]!.token, body: { card_id: f.holders[i]!.cardId, goods_id: mug, quantity: 1, pay: 'points', ...body } });

const shopRow = async (date: string) => {
  const { rows } = await f.ctx.db.pg.query(
    `select purchase_count, purchase_amount, refund_count, refund_amount, commission, points_funding, points_redemption_amount, net_amount
     from settlement_merchants where business_date = $1 and merchant_code = 'SHOP'`, [date]);
  return rows[0];
};

describe('orders in settlement', () => {
  it('settle like any redemption or purchase: the merchant rows match the hand computation, day of the orders and day of the refunds', async () => {
    const day1 = localDate(f.ctx.clock.now(), f.ctx.calendar.timezone);
    const pointsOrder = await order(0, { quantity: 2 });
    const valueOrder = await order(1, { pay: 'value' });
    const voided = await order(2, {});
    expect([pointsOrder.status, valueOrder.status, voided.status]).toEqual([201, 201, 201]);
    expect((await f.call('POST', `/orders/${voided.body.id}/cancel`, { token: f.holders[2]!.token })).body.status).toBe('cancelled');
    f.ctx.clock.advance(24 * 3600_000);
    const day2 = localDate(f.ctx.clock.now(), f.ctx.calendar.timezone);
    // After the orders' business date the pay-back is a refund (points back through the points_redeem refund).
    shop = await f.login('shop'); // a day idle ended the sessions; the merchant cancels
    for (const o of [pointsOrder, valueOrder]) {
      const c = await f.call('POST', `/orders/${o.body.id}/cancel`, { token: shop });
      expect(c.body.status).toBe('cancelled');
      const t = await f.ctx.db.pg.query('select type, business_date::text as d from transactions where id = $1', [c.body.cancel_transaction_id]);
      expect(t.rows[0]).toEqual({ type: 'refund', d: day2 });
    }
    expect([await f.points(f.holders[0]!.cardId), await f.points(f.holders[2]!.cardId), (await f.balance(f.holders[1]!.cardId)).balance]).toEqual([1000, 1000, 10_000]);
    f.ctx.clock.advance(24 * 3600_000);
    await settleBusinessDate(f.ctx, { date: day1, out: tempDir() });
    await settleBusinessDate(f.ctx, { date: day2, out: tempDir() });
    // Day 1: three earns of 1000 points at issue price 1 fen (−3000); 600 points redeemed at 0.5 fen (+300);
    // one value order of 2000 fen at 100 bps (commission 20, merchant +1980); the voided points order nets out.
    expect(await shopRow(day1)).toEqual({
      purchase_count: 1, purchase_amount: 2000, refund_count: 0, refund_amount: 0, commission: 20, points_funding: 3000,
      points_redemption_amount: 300, net_amount: 1980 + 300 - 3000,
    });
    // Day 2: the value order refunded (2000, commission 20 returned), the points order's 600 points refunded (−300).
    expect(await shopRow(day2)).toEqual({
      purchase_count: 0, purchase_amount: 0, refund_count: 1, refund_amount: 2000, commission: -20, points_funding: 0,
      points_redemption_amount: -300, net_amount: -1980 - 300,
    });
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });
});
