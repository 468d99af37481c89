import { beforeAll, describe, expect, it } from 'vitest';
import { clusterContext, clusterDatabase } from './helpers/db.js';
import { mallFixture, type MallFixture } from '../test/helpers/mall.js';
import { expectSameOutputs, expectVerified, type Outputs } from './helpers/compare.js';
import { idLabels, relabel } from './helpers/labels.js';

interface Day { out: Outputs; f: MallFixture; race: { answers: unknown[][]; stock: number } }

// What differs by design between two runs: session tokens, one-time passwords, pickup codes and
// the request ids the API makes (random), card numbers (random) and card ids (the order of the
// cards' creation), the instants the database stamps itself, and transaction and entry ids (named
// instead: labels.ts).
const RANDOM_KEYS = new Set(['token', 'one_time_password', 'pickup_code', 'expires_at', 'request_id', 'masked', 'card_id']);
const ISO_INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const normalized = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value), function (this: Record<string, unknown>, key: string, v: unknown) {
    if (RANDOM_KEYS.has(key) && v !== null) return '<random>';
    if (key === 'id' && 'masked' in this) return '<card>';
    if (typeof v === 'string' && ISO_INSTANT.test(v) && !v.startsWith('2026-03-10T10:00:00')) return '<instant>';
    if (typeof v === 'string') return v.replace(/holder\.\d+/g, 'holder.<id>').replace(/card:\d+/g, 'card:<id>');
    return v;
  });

/**
 * One day of the management API (design §10) on one database, as operators, merchants and
 * cardholders use it: operators of every role, merchants and terminals, cardholders and their
 * cards, transactions queried and refunded, a card reported lost, the points mall (goods, 6 holders
 * racing for the last 3 items, fulfil, cancel, an Idempotency-Key repeated), a maker-checker
 * adjustment, and the reads (settlements, stats, audit, issuers, programs, rates, operators).
 */
async function runDay(citus: boolean): Promise<Day> {
  const ctx = await clusterContext(await clusterDatabase({ citus }));
  const f = await mallFixture(6, 10_000, ctx);
  const answers: [string, unknown][] = [];
  const call = async (name: string, method: string, path: string, opts: Parameters<MallFixture['call']>[2] = {}) => {
    const r = await f.call(method, path, opts);
    answers.push([`${String(answers.length).padStart(3, '0')} ${name}`, { status: r.status, body: r.body }]);
    return r;
  };
  await f.operator('pa', 'platform_admin');
  await f.operator('fi1', 'finance');
  await f.operator('fi2', 'finance');
  await f.operator('io', 'issuer_ops', { issuer: 'ISS' });
  const pa = await f.login('pa');
  const shop = await f.login('shop');
  const shopop = await f.login('shopop');
  const fi1 = await f.login('fi1');
  const fi2 = await f.login('fi2');
  const io = await f.login('io');

  // Operators, merchants and terminals.
  await call('operators', 'GET', '/operators', { token: pa });
  await call('shop operators', 'GET', '/operators', { token: shop });
  const cashier = await call('add cashier', 'POST', '/operators', { token: shop, body: { username: 'cashier', role: 'merchant_operator', password: 'cashier password 1' } });
  await call('disable cashier', 'PATCH', `/operators/${cashier.body.id}`, { token: shop, body: { disabled: true } });
  await call('add merchant', 'POST', '/merchants', { token: pa, body: { code: 'CAFE', name: 'Cafe', commission_bps: 120 } });
  await call('merchants', 'GET', '/merchants', { token: pa });
  await call('merchant', 'GET', '/merchants/SHOP', { token: shopop });
  await call('rename merchant', 'PATCH', '/merchants/CAFE', { token: pa, body: { name: 'Cafe two' } });
  const terminal = await call('add terminal', 'POST', '/terminals', { token: shop, body: { code: 'S9' } });
  await call('rename terminal', 'PATCH', `/terminals/${terminal.body.id}`, { token: shop, body: { code: 'S10' } });
  await call('terminals', 'GET', '/terminals', { token: shop });
  await call('remove terminal', 'DELETE', `/terminals/${terminal.body.id}`, { token: shop });

  // Purchases over the channel, then queried and refunded by the merchant.
  for (const [i, amount] of [[0, 1200], [1, 3400], [2, 560], [3, 7800]] as const) {
    const r = await f.send({ request_id: `buy-${i}`, type: 'purchase', card: f.holders[i]!.pan, amount, merchant: 'SHOP', terminal: 'S1' });
    expect(r.body.response_code).toBe('00');
  }
  const listed = await call('transactions', 'GET', '/transactions?merchant=SHOP&type=purchase', { token: pa });
  await call('transactions by card', 'GET', `/transactions?card_last4=${f.holders[1]!.pan.slice(-4)}`, { token: shopop });
  await call('transactions by amount', 'GET', '/transactions?min_amount=1000&max_amount=5000', { token: shop });
  const purchase = listed.body.items.find((t: { request_id: string }) => t.request_id === 'buy-3').id as number;
  await call('transaction', 'GET', `/transactions/${purchase}`, { token: shop });
  await call('refund', 'POST', `/transactions/${purchase}/refund`, { token: shop, body: { amount: 800 }, headers: { 'idempotency-key': 'rf-1' } });
  await call('refund repeated', 'POST', `/transactions/${purchase}/refund`, { token: shop, body: { amount: 800 }, headers: { 'idempotency-key': 'rf-1' } });
  await call('refund too much', 'POST', `/transactions/${purchase}/refund`, { token: shopop, body: { amount: 7001 }, headers: { 'idempotency-key': 'rf-2' } });
  await call('loads', 'GET', '/loads', { token: io });

  // Cardholders and their cards.
  await call('holders by mobile', 'GET', '/holders?mobile=13900001002', { token: pa });
  await call('holders by program', 'GET', '/holders?program=COMBO&limit=3', { token: io });
  const added = await call('add holder', 'POST', '/holders', { token: io, body: { name: '李四', id_type: 'resident_id', id_number: '11010119900307663X', mobile: '13800138000' } });
  await call('link card', 'POST', `/holders/${added.body.holder?.id ?? added.body.id}/cards`, { token: io, body: { card_id: f.seed.cardIds[0] } });
  await call('holder', 'GET', `/holders/${f.holders[0]!.id}`, { token: pa });
  await call('own cards', 'GET', '/cards', { token: f.holders[1]!.token });
  await call('own card transactions', 'GET', `/cards/${f.holders[1]!.cardId}/transactions`, { token: f.holders[1]!.token });
  await call('rates', 'GET', '/rates', { token: f.holders[1]!.token });
  await call('report lost', 'POST', `/cards/${f.holders[5]!.cardId}/lost`, { token: f.holders[5]!.token });
  const lost = await f.send({ request_id: 'after-lost', type: 'purchase', card: f.holders[5]!.pan, amount: 100, merchant: 'SHOP', terminal: 'S1' });
  answers.push(['after lost', lost.body.response_code]);

  // The points mall: orders placed one after another, fulfilled, cancelled, repeated.
  const mug = await call('add goods', 'POST', '/goods', { token: shop, body: { code: 'MUG', name: 'Mug', points_price: 300, cash_price: 2000, stock: 5 } });
  await call('goods for a holder', 'GET', '/goods', { token: f.holders[0]!.token });
  const order = (i: number) => call(`order ${i}`, 'POST', '/orders', { token: f.holders[i]!.token, body: { card_id: f.holders[i]!.cardId, goods_id: mug.body.id, quantity: 1, pay: 'points' } });
  const first = await order(0);
  const second = await order(1);
  await call('fulfil', 'POST', `/orders/${first.body.id}/fulfil`, { token: shopop, body: { pickup_code: first.body.pickup_code } });
  await call('cancel', 'POST', `/orders/${second.body.id}/cancel`, { token: f.holders[1]!.token });
  await call('cancel again', 'POST', `/orders/${second.body.id}/cancel`, { token: shop });
  await call('merchant orders', 'GET', '/orders?status=fulfilled', { token: shopop });
  await call('holder orders', 'GET', '/orders', { token: f.holders[0]!.token });
  await call('restock', 'PATCH', `/goods/${mug.body.id}`, { token: shop, body: { stock: 6 } });
  const h = f.holders[4]!;
  const keyed = { token: h.token, body: { card_id: h.cardId, goods_id: mug.body.id, quantity: 1, pay: 'value' }, headers: { 'idempotency-key': 'order-1' } };
  await call('order with value', 'POST', '/orders', keyed);
  await call('order repeated', 'POST', '/orders', keyed);

  // Maker-checker: an adjustment requested by one finance operator, approved by another.
  const adj = await call('adjustment', 'POST', '/adjustments', { token: fi1, body: { card_id: f.holders[2]!.cardId, amount: 2500, reason: 'goodwill' } });
  await call('approvals', 'GET', '/approvals', { token: fi2 });
  await call('approve', 'POST', `/approvals/${adj.body.id}/approve`, { token: fi2, headers: { 'idempotency-key': 'ap-1' } });

  // Reads.
  await call('stats', 'GET', '/stats', { token: pa });
  await call('settlements', 'GET', '/settlements?date=2026-03-10', { token: fi1 });
  await call('issuers', 'GET', '/issuers', { token: fi1 });
  await call('programs', 'GET', '/programs', { token: io });
  await call('audit', 'GET', '/audit?limit=200', { token: fi1 });
  await call('audit of a target', 'GET', `/audit?target=order:${first.body.id}`, { token: pa });
  await call('logout', 'DELETE', '/sessions/current', { token: pa });

  // Last (its order is the race's, so it is checked, not compared): 5 holders race for the last 3.
  await f.call('PATCH', `/goods/${mug.body.id}`, { token: shop, body: { stock: 3 } });
  const race = await Promise.all(f.holders.slice(0, 5).map((r) =>
    f.call('POST', '/orders', { token: r.token, body: { card_id: r.cardId, goods_id: mug.body.id, quantity: 1, pay: 'points' } })));
  const stock = await f.ctx.db.pg.query<{ stock: number }>('select stock from goods where id = $1', [mug.body.id]);
  const labels = await idLabels(f.ctx.db.pg);
  const out: Outputs = Object.fromEntries(answers.map(([name, a]) => [name, JSON.stringify(normalized(relabel(a, labels)), null, 1)]));
  return { out, f, race: { answers: race.map((r) => [r.status, r.body.code ?? r.body.status]), stock: stock.rows[0]!.stock } };
}

describe('the management API on a single server and on the cluster', () => {
  let single: Day;
  let cluster: Day;
  beforeAll(async () => {
    single = await runDay(false);
    cluster = await runDay(true);
  });

  it('the day exercised what it names: writes succeeded; on both, the race sold exactly the stock', () => {
    const statuses = Object.entries(single.out).filter(([k]) => /POST|PATCH|DELETE/.test(k)).map(([k, v]) => [k, (JSON.parse(v) as { status: number }).status]);
    const failed = statuses.filter(([k, s]) => (s as number) >= 400 && !/too much|cancel again|repeated/.test(k as string));
    expect(failed).toEqual([]);
    for (const day of [single, cluster]) {
      const answers = day.race.answers.map((a) => JSON.stringify(a)).sort();
      expect(answers).toEqual([...Array(3).fill('[201,"placed"]'), ...Array(2).fill('[409,"05"]')]);
      expect(day.race.stock).toBe(0);
    }
    expect(single.out['after lost']).toBe('"41"');
  });

  it('gives the same answers, status and body, to every request', () => {
    expectSameOutputs(single.out, cluster.out);
  });

  it('ledger verify is clean on both', async () => {
    await expectVerified(single.f.ctx.db.pg, cluster.f.ctx.db.pg);
  });
});
