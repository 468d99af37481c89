import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminFixture, type AdminFixture } from '../helpers/admin.js';
import { tempDir } from '../helpers/batch.js';
import { addChannel } from '../../src/registry/channels.js';
import { loadCardsFile } from '../../src/batch/loads.js';
import { settleBusinessDate } from '../../src/settlement/settle.js';

let f: AdminFixture;
let t: Record<'pa' | 'fi' | 'io' | 'ma' | 'mo' | 'ma2', string>;
let ch2: string;

beforeAll(async () => {
  f = await adminFixture();
  for (const [u, role, scope] of [['pa', 'platform_admin', {}], ['fi', 'finance', {}], ['io', 'issuer_ops', { issuer: 'ISS' }],
    ['ma', 'merchant_admin', { merchant: 'M1' }], ['mo', 'merchant_operator', { merchant: 'M1' }], ['ma2', 'merchant_admin', { merchant: 'M2' }]] as const) {
    await f.operator(u, role, scope);
  }
  t = Object.fromEntries(await Promise.all(['pa', 'fi', 'io', 'ma', 'mo', 'ma2'].map(async (u) => [u, await f.login(u)]))) as typeof t;
  ch2 = (await addChannel(f.ctx, { code: 'CH2', merchants: ['M2'] })).secret;
  const dir = tempDir();
  const file = path.join(dir, 'load.csv');
  fs.writeFileSync(file, `card,amount,reference\n${f.seed.pans[0]},50000,L-1\n${f.seed.pans[1]},30000,L-2\n`);
  await loadCardsFile(f.ctx, { file });
  for (const [n, amount] of [[1, 1200], [2, 3400], [3, 560]] as const) {
    const r = await f.send({ request_id: `m1-${n}`, type: 'purchase', card: f.seed.pans[0], amount, merchant: 'M1', terminal: 'T1' });
    expect(r.body.response_code).toBe('00');
  }
  const r = await f.send({ request_id: 'm2-1', type: 'purchase', card: f.seed.pans[1], amount: 999, merchant: 'M2', terminal: 'T2' }, { channel: 'CH2', secret: ch2 });
  expect(r.body.response_code).toBe('00');
});

const ids = (b: { items: { id: number }[] }) => b.items.map((i) => i.id);

describe('merchant functions', () => {
  it('a merchant sees only its own transactions; the combined query filters; cards are masked', async () => {
    const own = await f.call('GET', '/transactions', { token: t.mo });
    expect(own.body.items.map((i: { merchant: string }) => i.merchant)).toEqual(['M1', 'M1', 'M1']);
    expect(own.body.items[0].card).toEqual({ id: f.seed.cardIds[0], masked: `************${f.seed.pans[0]!.slice(-4)}` });
    expect(JSON.stringify(own.body)).not.toContain(f.seed.pans[0]);
    const other = await f.call('GET', '/transactions', { token: t.ma2 });
    expect(other.body.items.map((i: { request_id: string }) => i.request_id)).toEqual(['m2-1']);
    const filtered = await f.call('GET', `/transactions?min_amount=1000&max_amount=2000&card_last4=${f.seed.pans[0]!.slice(-4)}&type=purchase&status=approved&terminal=T1&channel=CH`, { token: t.ma });
    expect(filtered.body.items.map((i: { amount_approved: number }) => i.amount_approved)).toEqual([1200]);
    const platform = await f.call('GET', '/transactions?limit=2', { token: t.fi });
    expect(platform.body.items).toHaveLength(2);
    const rest = await f.call('GET', `/transactions?limit=2&cursor=${platform.body.next_cursor}`, { token: t.fi });
    expect([...ids(platform.body), ...ids(rest.body)]).toHaveLength(4);
    expect(rest.body.next_cursor).toBeNull();
    const foreign = other.body.items[0].id as number;
    expect((await f.call('GET', `/transactions/${foreign}`, { token: t.mo })).status).toBe(404);
    expect((await f.call('POST', `/transactions/${foreign}/refund`, { token: t.ma, body: { amount: 1 } })).status).toBe(404);
  });

  it('manages its operators and terminals, and its profile but not its commission', async () => {
    const op = await f.call('POST', '/operators', { token: t.ma, body: { username: 'clerk', role: 'merchant_operator', password: 'clerk password 1' } });
    expect([op.status, op.body.merchant]).toEqual([201, 'M1']);
    const promote = await f.call('POST', '/operators', { token: t.ma, body: { username: 'boss', role: 'platform_admin', password: 'boss password 12' } });
    expect([promote.status, promote.body.field]).toEqual([403, 'role']);
    const ops = await f.call('GET', '/operators', { token: t.ma });
    expect(ops.body.items.map((o: { username: string }) => o.username).sort()).toEqual(['clerk', 'ma', 'mo']);
    expect((await f.call('GET', '/operators', { token: t.ma2 })).body.items.map((o: { username: string }) => o.username)).toEqual(['ma2']);
    const off = await f.call('PATCH', `/operators/${op.body.id}`, { token: t.ma, body: { disabled: true } });
    expect(off.body.disabled).toBe(true);
    expect((await f.call('POST', '/sessions', { body: { username: 'clerk', password: 'clerk password 1' } })).status).toBe(401);
    const term = await f.call('POST', '/terminals', { token: t.ma, body: { code: 'T7' } });
    expect([term.status, term.body.merchant]).toEqual([201, 'M1']);
    expect((await f.call('GET', '/terminals', { token: t.ma })).body.items.map((x: { code: string }) => x.code)).toEqual(['T1', 'T7']);
    const t1 = (await f.ctx.db.pg.query("select id from terminals where code = 'T1'")).rows[0].id;
    const used = await f.call('DELETE', `/terminals/${t1}`, { token: t.ma });
    expect([used.status, used.body.field]).toEqual([409, 'id']);
    expect((await f.call('DELETE', `/terminals/${term.body.id}`, { token: t.ma })).status).toBe(204);
    const fee = await f.call('PATCH', '/merchants/M1', { token: t.ma, body: { commission_bps: 0 } });
    expect([fee.status, fee.body.field]).toEqual([403, 'commission_bps']);
    expect((await f.call('PATCH', '/merchants/M1', { token: t.ma, body: { name: 'Shop One' } })).body.name).toBe('Shop One');
  });

  it('reads its settlement rows and statistics only', async () => {
    f.ctx.clock.advance(24 * 3600_000);
    const date = '2026-03-10';
    await settleBusinessDate(f.ctx, { date, out: tempDir() });
    t = Object.fromEntries(await Promise.all(Object.keys(t).map(async (u) => [u, await f.login(u)]))) as typeof t; // a day idle ended the sessions
    const mine = await f.call('GET', `/settlements?date=${date}`, { token: t.mo });
    expect(mine.body.items.map((r: { merchant_code: string; purchase_amount: number }) => [r.merchant_code, r.purchase_amount])).toEqual([['M1', 5160]]);
    const all = await f.call('GET', `/settlements?date=${date}`, { token: t.fi });
    expect(all.body.items.map((r: { merchant_code: string }) => r.merchant_code)).toEqual(['M1', 'M2']);
    const issuers = await f.call('GET', `/settlements?date=${date}&kind=issuer`, { token: t.pa });
    expect(issuers.body.items[0]).toMatchObject({ kind: 'issuer', issuer_code: 'ISS', load_amount: 80000 });
    expect((await f.call('GET', '/settlements?kind=channel', { token: t.ma })).status).toBe(403);
    const stats = await f.call('GET', `/stats?from=${date}&to=${date}`, { token: t.ma });
    expect(stats.body.rows.map((r: { merchant: string; approved_amount: number }) => [r.merchant, r.approved_amount])).toEqual([['M1', 5160]]);
  });
});

describe('platform functions', () => {
  it('merchants: combined query and creation', async () => {
    const created = await f.call('POST', '/merchants', { token: t.pa, body: { code: 'M3', name: 'Third Shop', commission_bps: 120 } });
    expect([created.status, created.body.commission_bps]).toEqual([201, 120]);
    const q = await f.call('GET', '/merchants?q=third', { token: t.pa });
    expect(q.body.items.map((m: { code: string }) => m.code)).toEqual(['M3']);
    expect((await f.call('GET', '/merchants', { token: t.ma2 })).body.items.map((m: { code: string }) => m.code)).toEqual(['M2']);
    const dup = await f.call('POST', '/merchants', { token: t.pa, body: { code: 'M3' } });
    expect([dup.status, dup.body.field]).toEqual([409, 'code']);
  });

  it('load transactions (充值交易查询): bulk rows for the platform and the issuer', async () => {
    const loads = await f.call('GET', '/loads', { token: t.io });
    expect(loads.body.items.map((l: { source: string; reference: string; amount: number }) => [l.source, l.reference, l.amount])).toEqual([['file', 'L-1', 50000], ['file', 'L-2', 30000]]);
    expect(JSON.stringify(loads.body)).not.toContain(f.seed.pans[0]);
  });

  it('issuers and programs read', async () => {
    expect((await f.call('GET', '/issuers', { token: t.pa })).body.items.map((i: { code: string }) => i.code)).toEqual(['ISS']);
    expect((await f.call('GET', '/programs', { token: t.io })).body.items.map((p: { code: string }) => p.code)).toEqual(['SV']);
  });
});
