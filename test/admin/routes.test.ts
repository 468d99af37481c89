import { beforeAll, describe, expect, it } from 'vitest';
import { adminFixture, type AdminFixture } from '../helpers/admin.js';
import { ROUTES } from '../../src/admin/routes.js';
import { addTerminal } from '../../src/registry/merchants.js';
import { addHolder, linkCard } from '../../src/holders/holders.js';
import { cliActor } from '../../src/admin/audit.js';

type Who = 'pa' | 'fi' | 'io' | 'ma' | 'mo' | 'ma2' | 'ch';
const WHO: Who[] = ['pa', 'fi', 'io', 'ma', 'mo', 'ma2', 'ch'];
type Expect = Record<Who, number>;
const only = (ok: number, allowed: Who[], other: Partial<Expect> = {}): Expect =>
  Object.fromEntries(WHO.map((w) => [w, other[w] ?? (allowed.includes(w) ? ok : 403)])) as Expect;

interface Case { method: string; route: string; path: () => Promise<string> | string; body?: () => unknown; expect: Expect }

let f: AdminFixture;
let tokens: Record<Who, string>;
let tokens2: { fi2: string };
let ids: { purchase: number; t1: number; victim: number; holder: number; chCard: number; otherCard: number; goods: number };
/** Cards of the cardholder `ch` that the lost route may mark lost, one per call. */
let lostPool: number[] = [];
let pickup = '';
let seq = 0;
const uniq = (p: string) => `${p}${++seq}`;

beforeAll(async () => {
  // Cards: 0 purchase, 1 adjustments, 2 the cardholder's paying card, 3 linked by the walk, 4–13 the cardholder's cards to report lost.
  f = await adminFixture({ cards: 14, setup: async (ctx) => { await addTerminal(ctx, { merchant: 'M1', code: 'WEB-SEAT' }); } });
  await f.operator('pa', 'platform_admin');
  await f.operator('fi', 'finance');
  await f.operator('io', 'issuer_ops', { issuer: 'ISS' });
  await f.operator('ma', 'merchant_admin', { merchant: 'M1' });
  await f.operator('mo', 'merchant_operator', { merchant: 'M1' });
  await f.operator('ma2', 'merchant_admin', { merchant: 'M2' });
  const victim = await f.operator('victim', 'merchant_operator', { merchant: 'M1' });
  await f.operator('fi2', 'finance');
  const holder = (await addHolder(f.ctx, { name: 'Card Holder', id_type: 'other', id_number: 'CH-0001', mobile: '13912345678' }, 'holder password 1', cliActor())).holder.id;
  for (const i of [2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]) await linkCard(f.ctx, holder, { cardId: f.seed.cardIds[i] }, cliActor());
  lostPool = f.seed.cardIds.slice(4, 14);
  await f.fund(f.seed.cardIds[2]!, 100_000);
  const login = async (w: Who) => (w === 'ch' ? (await f.call('POST', '/sessions', { body: { mobile: '13912345678', password: 'holder password 1' } })).body.token as string : f.login(w));
  tokens = Object.fromEntries(await Promise.all(WHO.map(async (w) => [w, await login(w)]))) as Record<Who, string>;
  const goods = await f.call('POST', '/goods', { token: tokens.ma, body: { code: 'G1', name: 'Goods one', cash_price: 100, stock: 1000 } });
  expect(goods.status).toBe(201);
  tokens2 = { fi2: await f.login('fi2') };
  await f.fund(f.seed.cardIds[0]!, 100_000);
  const p = await f.send({ request_id: 'p1', type: 'purchase', card: f.seed.pans[0], amount: 10_000, merchant: 'M1', terminal: 'T1' });
  expect(p.body.response_code).toBe('00');
  const t1 = (await f.ctx.db.pg.query<{ id: number }>("select id from terminals where code = 'T1'")).rows[0]!.id;
  ids = { purchase: p.body.transaction_id as number, t1, victim, holder, chCard: f.seed.cardIds[2]!, otherCard: f.seed.cardIds[3]!, goods: goods.body.id as number };
});

const freshTerminal = async () => {
  const r = await f.call('POST', '/terminals', { token: tokens.pa, body: { code: uniq('TX'), merchant: 'M1' } });
  return `/terminals/${r.body.id}`;
};

// The expected answer of every route for every role (design §10); ma2 is another merchant's admin.
const CASES: Case[] = [
  { method: 'GET', route: '/operators', path: () => '/operators', expect: only(200, ['pa', 'ma', 'ma2']) },
  { method: 'POST', route: '/operators', path: () => '/operators', body: () => ({ username: uniq('op'), role: 'merchant_operator', merchant: 'M1', password: 'another long secret' }),
    expect: only(201, ['pa', 'ma'], { ma2: 403 }) },
  { method: 'PATCH', route: '/operators/{id}', path: () => `/operators/${ids.victim}`, body: () => ({ role: 'merchant_operator' }), expect: only(200, ['pa', 'ma'], { ma2: 404 }) },
  { method: 'GET', route: '/merchants', path: () => '/merchants', expect: only(200, ['pa', 'ma', 'mo', 'ma2']) },
  { method: 'POST', route: '/merchants', path: () => '/merchants', body: () => ({ code: uniq('MX') }), expect: only(201, ['pa']) },
  { method: 'GET', route: '/merchants/{code}', path: () => '/merchants/M1', expect: only(200, ['pa', 'ma', 'mo'], { ma2: 404 }) },
  { method: 'PATCH', route: '/merchants/{code}', path: () => '/merchants/M1', body: () => ({ name: 'Merchant one' }), expect: only(200, ['pa', 'ma'], { ma2: 404 }) },
  { method: 'GET', route: '/terminals', path: () => '/terminals', expect: only(200, ['pa', 'ma', 'ma2']) },
  { method: 'POST', route: '/terminals', path: () => '/terminals', body: () => ({ code: uniq('TN'), merchant: 'M1' }), expect: only(201, ['pa', 'ma'], { ma2: 403 }) },
  { method: 'PATCH', route: '/terminals/{id}', path: () => `/terminals/${ids.t1}`, body: () => ({ code: 'T1' }), expect: only(200, ['pa', 'ma'], { ma2: 404 }) },
  { method: 'DELETE', route: '/terminals/{id}', path: freshTerminal, expect: only(204, ['pa', 'ma'], { ma2: 404 }) },
  { method: 'GET', route: '/transactions', path: () => '/transactions', expect: only(200, ['pa', 'fi', 'ma', 'mo', 'ma2']) },
  { method: 'GET', route: '/transactions/{id}', path: () => `/transactions/${ids.purchase}`, expect: only(200, ['pa', 'fi', 'ma', 'mo'], { ma2: 404 }) },
  { method: 'POST', route: '/transactions/{id}/refund', path: () => `/transactions/${ids.purchase}/refund`, body: () => ({ amount: 1 }), expect: only(201, ['ma', 'mo'], { ma2: 404 }) },
  { method: 'GET', route: '/loads', path: () => '/loads', expect: only(200, ['pa', 'fi', 'io']) },
  { method: 'GET', route: '/settlements', path: () => '/settlements', expect: only(200, ['pa', 'fi', 'ma', 'mo', 'ma2']) },
  { method: 'GET', route: '/stats', path: () => '/stats', expect: only(200, ['pa', 'fi', 'ma', 'mo', 'ma2']) },
  { method: 'GET', route: '/audit', path: () => '/audit', expect: only(200, ['pa', 'fi']) },
  { method: 'GET', route: '/issuers', path: () => '/issuers', expect: only(200, ['pa', 'fi', 'io']) },
  { method: 'GET', route: '/programs', path: () => '/programs', expect: only(200, ['pa', 'fi', 'io']) },
  ...ADJUSTMENT_CASES(),
  ...CARDHOLDER_CASES(),
];

// Routes any session may use; checked with their own tests below.
const SESSION_ROUTES = ['POST /sessions', 'DELETE /sessions/current', 'POST /password'];

// Holders, cards, rates, goods and orders (design §10): the cardholder `ch` sees only its own.
function CARDHOLDER_CASES(): Case[] {
  const freshGoods = async () => `/goods/${(await f.call('POST', '/goods', { token: tokens.ma, body: { code: uniq('GD'), name: 'to delete', cash_price: 1, stock: 1 } })).body.id}`;
  const freshOrder = async (action: string) => {
    const r = await f.call('POST', '/orders', { token: tokens.ch, body: { card_id: ids.chCard, goods_id: ids.goods, quantity: 1, pay: 'value' } });
    pickup = r.body.pickup_code as string;
    return `/orders/${r.body.id}/${action}`;
  };
  return [
    { method: 'GET', route: '/holders', path: () => '/holders', expect: only(200, ['pa', 'io']) },
    { method: 'POST', route: '/holders', path: () => '/holders', body: () => ({ name: 'New Holder', id_type: 'passport', id_number: uniq('PASS'), mobile: `1380000${String(1000 + seq)}` }), expect: only(201, ['pa', 'io']) },
    { method: 'GET', route: '/holders/{id}', path: () => `/holders/${ids.holder}`, expect: only(200, ['pa', 'io']) },
    { method: 'POST', route: '/holders/{id}/cards', path: () => `/holders/${ids.holder}/cards`, body: () => ({ card_id: ids.otherCard }), expect: only(201, ['pa', 'io']) },
    { method: 'GET', route: '/cards', path: () => '/cards', expect: only(200, ['ch', 'pa', 'io']) },
    { method: 'GET', route: '/cards/{id}/transactions', path: () => `/cards/${ids.chCard}/transactions`, expect: only(200, ['ch', 'pa', 'io']) },
    { method: 'POST', route: '/cards/{id}/lost', path: () => `/cards/${lostPool.shift()}/lost`, expect: only(200, ['ch', 'pa', 'io']) },
    { method: 'GET', route: '/rates', path: () => '/rates', expect: only(200, ['ch', 'pa', 'io']) },
    { method: 'GET', route: '/goods', path: () => '/goods', expect: only(200, ['ch', 'ma', 'ma2']) },
    { method: 'POST', route: '/goods', path: () => '/goods', body: () => ({ code: uniq('GN'), name: 'New goods', cash_price: 5, stock: 1 }), expect: only(201, ['ma', 'ma2']) },
    { method: 'PATCH', route: '/goods/{id}', path: () => `/goods/${ids.goods}`, body: () => ({ name: 'Goods one' }), expect: only(200, ['ma'], { ma2: 404 }) },
    { method: 'DELETE', route: '/goods/{id}', path: freshGoods, expect: only(204, ['ma'], { ma2: 404 }) },
    { method: 'GET', route: '/orders', path: () => '/orders', expect: only(200, ['ch', 'ma', 'mo', 'ma2']) },
    { method: 'POST', route: '/orders', path: () => '/orders', body: () => ({ card_id: ids.chCard, goods_id: ids.goods, quantity: 1, pay: 'value' }), expect: only(201, ['ch']) },
    { method: 'POST', route: '/orders/{id}/fulfil', path: () => freshOrder('fulfil'), body: () => ({ pickup_code: pickup }), expect: only(200, ['ma', 'mo'], { ma2: 404 }) },
    { method: 'POST', route: '/orders/{id}/cancel', path: () => freshOrder('cancel'), expect: only(200, ['ch', 'ma', 'mo'], { ma2: 404 }) },
  ];
}

function ADJUSTMENT_CASES(): Case[] {
  // Each approve/reject call gets a fresh request made by fi2, so fi is never its maker.
  const pending = async (decision: string) => {
    const r = await f.call('POST', '/adjustments', { token: tokens2.fi2, body: { card_id: f.seed.cardIds[1], amount: 100, reason: 'goodwill' } });
    return `/approvals/${r.body.id}/${decision}`;
  };
  return [
    { method: 'POST', route: '/adjustments', path: () => '/adjustments', body: () => ({ card_id: f.seed.cardIds[1], amount: 100, reason: 'goodwill' }), expect: only(201, ['fi']) },
    { method: 'GET', route: '/approvals', path: () => '/approvals', expect: only(200, ['fi', 'io']) },
    { method: 'POST', route: '/approvals/{id}/approve', path: () => pending('approve'), expect: only(200, ['fi'], { io: 404 }) },
    { method: 'POST', route: '/approvals/{id}/reject', path: () => pending('reject'), expect: only(200, ['fi'], { io: 404 }) },
  ];
}

describe('every route with every role', () => {
  it('the table covers every route of the API', () => {
    const table = new Set([...CASES.map((c) => `${c.method} ${c.route}`), ...SESSION_ROUTES]);
    expect([...table].sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('answers each role as the table says (403 outside the role, 404 outside the scope)', async () => {
    const got: string[] = [];
    const want: string[] = [];
    for (const c of CASES) {
      for (const w of WHO) {
        const r = await f.call(c.method, await c.path(), { token: tokens[w], body: c.body?.() });
        got.push(`${c.method} ${c.route} ${w} ${r.status}`);
        want.push(`${c.method} ${c.route} ${w} ${c.expect[w]}`);
        if (r.status >= 400) expect(r.headers.get('content-type')).toBe('application/problem+json');
      }
    }
    expect(got).toEqual(want);
    const { rows } = await f.ctx.db.pg.query<{ outcome: string; n: number }>("select outcome, count(*)::int as n from audit_log where outcome in ('forbidden', 'not_found') group by outcome");
    expect(Object.fromEntries(rows.map((r) => [r.outcome, r.n]))).toEqual({
      forbidden: want.filter((x) => x.endsWith(' 403')).length, not_found: want.filter((x) => x.endsWith(' 404')).length,
    });
  });

  it('refuses a missing, unknown, logged-out or expired token with 401 on every route', async () => {
    const out = await f.login('pa');
    expect((await f.call('DELETE', '/sessions/current', { token: out })).status).toBe(204);
    const idle = await f.login('pa');
    const routes = [...CASES.map((c) => ({ method: c.method, path: c.path })), { method: 'DELETE', path: () => '/sessions/current' }, { method: 'POST', path: () => '/password' }];
    const paths = await Promise.all(routes.map(async (r) => ({ method: r.method, path: await r.path() })));
    f.ctx.clock.advance(8 * 3600_000 + 1000);
    for (const token of [null, 'pst_' + 'A'.repeat(43), out, idle]) {
      for (const r of paths) expect(`${r.method} ${r.path} ${(await f.call(r.method, r.path, { token })).status}`).toBe(`${r.method} ${r.path} 401`);
    }
  });
});
