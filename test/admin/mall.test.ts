import { beforeAll, describe, expect, it } from 'vitest';
import { mallFixture, type MallFixture } from '../helpers/mall.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { resolveStaleOrders } from '../../src/mall/orders.js';
import { pay } from '../../src/mall/payment.js';
import { PAYMENT_SQL } from '../../src/mall/payment.js';

let f: MallFixture;
let shop: string;
let mug: number;

beforeAll(async () => {
  f = await mallFixture(30);
  shop = await f.login('shop');
  const r = await f.call('POST', '/goods', { token: shop, body: { code: 'MUG', name: 'Mug', points_price: 300, cash_price: 2000, stock: 5 } });
  expect(r.status).toBe(201);
  mug = r.body.id as number;
}, 120_000);

const order = (i: number, body: Record<string, unknown> = {}) =>
  f.call('POST', '/orders', { token: f.holders[i]!.token, body: { card_id: f.holders[i]!.cardId, goods_id: mug, quantity: 1, pay: 'points', ...body } });
const stockOf = async (id: number) => Number((await f.ctx.db.pg.query('select stock from goods where id = $1', [id])).rows[0].stock);

describe('goods', () => {
  it('a merchant admin manages its catalogue; another merchant\'s admin gets 404; a cardholder lists what it may order', async () => {
    expect(mug).toBeGreaterThan(0);
    const ma2 = await f.login('ma2');
    expect((await f.call('PATCH', `/goods/${mug}`, { token: ma2, body: { name: 'Stolen' } })).status).toBe(404);
    const listed = await f.call('GET', '/goods', { token: f.holders[0]!.token });
    expect(listed.body.items).toEqual([expect.objectContaining({ id: mug, merchant: 'SHOP', code: 'MUG', points_price: 300, scheme: 'SHOPPTS', cash_price: 2000, stock: 5 })]);
    const later = await f.call('POST', '/goods', { token: shop, body: { code: 'HAT', name: 'Hat', cash_price: 500, stock: 3, active_from: '2099-01-01T00:00:00+08:00' } });
    expect(later.status).toBe(201);
    expect((await f.call('GET', '/goods', { token: f.holders[0]!.token })).body.items.map((g: { code: string }) => g.code)).toEqual(['MUG']);
    expect((await f.call('GET', '/goods', { token: shop })).body.items.map((g: { code: string }) => g.code)).toEqual(['MUG', 'HAT']);
    expect((await f.call('POST', '/goods', { token: shop, body: { code: 'MUG', name: 'Again', cash_price: 1, stock: 1 } })).status).toBe(409);
    expect((await f.call('POST', '/goods', { token: shop, body: { code: 'NOPRICE', name: 'x', stock: 1 } })).body.field).toBe('points_price');
    expect((await f.call('DELETE', `/goods/${later.body.id}`, { token: shop })).status).toBe(204);
    expect((await f.call('POST', '/goods', { token: f.holders[0]!.token, body: { code: 'X', name: 'x', cash_price: 1, stock: 1 } })).status).toBe(403);
  });
});

describe('orders', () => {
  let winners: { i: number; id: number; pickup: string }[] = [];

  it('30 cardholders racing for the last 5: exactly 5 placed, stock 0, every loser\'s points untouched', async () => {
    const results = await Promise.all(f.holders.map((_h, i) => order(i)));
    const placed = results.map((r, i) => ({ r, i })).filter((x) => x.r.status === 201);
    expect(placed.length).toBe(5);
    for (const x of placed) expect(x.r.body).toMatchObject({ status: 'placed', pay: 'points', amount: 300, asset: 'PTS:SHOPPTS', response_code: '00' });
    const losers = results.map((r, i) => ({ r, i })).filter((x) => x.r.status !== 201);
    expect(losers.map((x) => [x.r.status, x.r.body.code])).toEqual(Array(25).fill([409, '05']));
    expect(await stockOf(mug)).toBe(0);
    for (const x of placed) expect(await f.points(f.holders[x.i]!.cardId)).toBe(700);
    for (const x of losers) expect(await f.points(f.holders[x.i]!.cardId)).toBe(1000);
    const { rows } = await f.ctx.db.pg.query("select status, count(*)::int as n from orders group by status");
    expect(rows).toEqual([{ status: 'placed', n: 5 }]);
    winners = placed.map((x) => ({ i: x.i, id: x.r.body.id as number, pickup: x.r.body.pickup_code as string }));
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });

  it('a cardholder reads only its own orders; another\'s order is 404 to cancel; merchant routes are 403', async () => {
    const [a, b] = winners;
    const own = await f.call('GET', '/orders', { token: f.holders[a!.i]!.token });
    expect(own.body.items.map((o: { id: number; pickup_code: string }) => [o.id, o.pickup_code])).toEqual([[a!.id, a!.pickup]]);
    expect((await f.call('POST', `/orders/${b!.id}/cancel`, { token: f.holders[a!.i]!.token })).status).toBe(404);
    expect((await f.call('POST', `/orders/${a!.id}/fulfil`, { token: f.holders[a!.i]!.token, body: { pickup_code: a!.pickup } })).status).toBe(403);
    const merchant = await f.call('GET', '/orders?status=placed', { token: await f.login('shopop') });
    expect(merchant.body.items.length).toBe(5);
    expect(merchant.body.items[0].pickup_code).toBeUndefined();
  });

  it('cancel twice (even at once): points and stock return exactly once', async () => {
    const w = winners[0]!;
    const both = await Promise.all([
      f.call('POST', `/orders/${w.id}/cancel`, { token: f.holders[w.i]!.token }),
      f.call('POST', `/orders/${w.id}/cancel`, { token: shop }),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    const again = await f.call('POST', `/orders/${w.id}/cancel`, { token: f.holders[w.i]!.token });
    expect([again.status, again.body.detail]).toEqual([409, 'the order is already cancelled']);
    expect(await f.points(f.holders[w.i]!.cardId)).toBe(1000);
    expect(await stockOf(mug)).toBe(1);
    const tx = await f.ctx.db.pg.query("select type from transactions t join orders o on o.cancel_transaction_id = t.id where o.id = $1", [w.id]);
    expect(tx.rows).toEqual([{ type: 'void' }]);
  });

  it('fulfil with a wrong code is refused and changes nothing; the right code fulfils once; cancel after fulfil is refused', async () => {
    const w = winners[1]!;
    const wrong = await f.call('POST', `/orders/${w.id}/fulfil`, { token: shop, body: { pickup_code: w.pickup === '00000000' ? '00000001' : '00000000' } });
    expect([wrong.status, wrong.body.field]).toEqual([409, 'pickup_code']);
    const ok = await f.call('POST', `/orders/${w.id}/fulfil`, { token: shop, body: { pickup_code: w.pickup } });
    expect([ok.status, ok.body.status]).toEqual([200, 'fulfilled']);
    expect((await f.call('POST', `/orders/${w.id}/fulfil`, { token: shop, body: { pickup_code: w.pickup } })).status).toBe(409);
    const cancel = await f.call('POST', `/orders/${w.id}/cancel`, { token: f.holders[w.i]!.token });
    expect([cancel.status, cancel.body.detail]).toEqual([409, 'the order is already fulfilled']);
    expect(await f.points(f.holders[w.i]!.cardId)).toBe(700);
    const audit = await f.ctx.db.pg.query("select outcome from audit_log where action = 'order.fulfil' and target = $1 order by id", [`order:${w.id}`]);
    expect(audit.rows.map((r) => r.outcome)).toEqual(['wrong_pickup_code', 'ok']);
  });

  it('pays with stored value; insufficient value is 409 with code 51 and the stock comes back', async () => {
    const r = await order(20, { pay: 'value' });
    expect([r.status, r.body.amount, r.body.asset]).toEqual([201, 2000, 'CNY']);
    expect((await f.balance(f.holders[20]!.cardId)).balance).toBe(8000);
    await f.call('PATCH', `/goods/${mug}`, { token: shop, body: { stock: 10, cash_price: 9000 } });
    const poor = await order(20, { pay: 'value' });
    expect([poor.status, poor.body.code]).toEqual([409, '51']);
    expect(await stockOf(mug)).toBe(10);
    expect((await f.ctx.db.pg.query("select status from orders where id = $1", [poor.body.order_id])).rows[0].status).toBe('declined');
  });

  it('a repeated Idempotency-Key gets the first order back and pays once; the OpenAPI document lists the mall routes', async () => {
    const h = f.holders[26]!;
    const body = { card_id: h.cardId, goods_id: mug, quantity: 1, pay: 'points' };
    const first = await f.call('POST', '/orders', { token: h.token, body, headers: { 'idempotency-key': 'order-k1' } });
    const again = await f.call('POST', '/orders', { token: h.token, body, headers: { 'idempotency-key': 'order-k1' } });
    expect([first.status, again.status, again.body.id]).toEqual([201, 201, first.body.id]);
    expect(await f.points(h.cardId)).toBe(700);
    const spec = await (await fetch(`${f.admin}/openapi.json`)).json() as { paths: Record<string, unknown> };
    for (const p of ['/admin/v1/orders', '/admin/v1/orders/{id}/cancel', '/admin/v1/goods/{id}', '/admin/v1/holders', '/admin/v1/cards/{id}/lost', '/admin/v1/rates']) expect(spec.paths[p]).toBeDefined();
  });

  it('a crash between payment and resolution is finished by replaying the same request id, once', async () => {
    const h = f.holders[25]!;
    // As placeOrder's first transaction leaves it: stock reserved, order pending; the payment reached the core, the answer was lost.
    const ins = await f.ctx.db.pg.query<{ id: number }>(
      `with g as (update goods set stock = stock - 1 where id = $1 returning merchant_id)
       insert into orders (holder_id, card_id, goods_id, merchant_id, quantity, pay, amount, status, created_at)
       select $2, $3, $1, g.merchant_id, 1, 'points', 300, 'pending', $4 from g returning id`, [mug, h.id, h.cardId, f.ctx.clock.now()]);
    const id = ins.rows[0]!.id;
    const first = await pay(f.ctx, f.daemon.core, (await f.ctx.db.pg.query(PAYMENT_SQL, [id])).rows[0]);
    expect(first.response_code).toBe('00');
    expect(await resolveStaleOrders(f.ctx, f.daemon.core)).toBe(0);
    f.ctx.clock.advance(61_000);
    expect(await resolveStaleOrders(f.ctx, f.daemon.core)).toBe(1);
    const row = (await f.ctx.db.pg.query('select status, transaction_id from orders where id = $1', [id])).rows[0];
    expect(row).toEqual({ status: 'placed', transaction_id: first.transaction_id });
    expect(await f.points(h.cardId)).toBe(700);
    expect(await stockOf(mug)).toBe(8);
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });
});
