import { beforeAll, describe, expect, it } from 'vitest';
import { adminFixture, type AdminFixture } from '../helpers/admin.js';
import { addHolder, forgetHolder, linkCard, queryHolders } from '../../src/holders/holders.js';
import { cliActor } from '../../src/admin/audit.js';
import { verifyLedger } from '../../src/ledger/verify.js';

let f: AdminFixture;
const PW = 'holder password 1';
const alice = { name: '王小明', id_type: 'resident_id', id_number: '11010119900307663X', mobile: '13800138000' };
const bob = { name: 'Bob Builder', id_type: 'passport', id_number: 'E12345678', mobile: '+8613900139000' };
let aliceId: number;
let bobId: number;

beforeAll(async () => {
  f = await adminFixture({ cards: 4 });
  await f.operator('pa', 'platform_admin');
  await f.operator('io', 'issuer_ops', { issuer: 'ISS' });
  aliceId = (await addHolder(f.ctx, alice, PW, cliActor())).holder.id;
  bobId = (await addHolder(f.ctx, bob, PW, cliActor())).holder.id;
  await linkCard(f.ctx, aliceId, { cardId: f.seed.cardIds[0] }, cliActor());
  await linkCard(f.ctx, aliceId, { pan: f.seed.pans[1] }, cliActor());
  await linkCard(f.ctx, bobId, { cardId: f.seed.cardIds[2] }, cliActor());
  await f.fund(f.seed.cardIds[0]!, 5000);
});

const holderLogin = async (mobile: string, password = PW) => {
  const r = await f.call('POST', '/sessions', { body: { mobile, password } });
  expect(r.status).toBe(201);
  return r.body.token as string;
};

describe('holders (用户)', () => {
  it('shows personal data masked only, and finds holders by mobile, ID number, card last 4 and program', async () => {
    const pa = await f.login('pa');
    const r = await f.call('GET', `/holders/${aliceId}`, { token: pa });
    expect(r.body).toMatchObject({ id: aliceId, name: '王**', id_type: 'resident_id', id_number: '**************663X', mobile: '138****8000', forgotten: false });
    expect(r.body.cards.map((c: { id: number }) => c.id)).toEqual([f.seed.cardIds[0], f.seed.cardIds[1]]);
    const byMobile = await f.call('GET', '/holders?mobile=138-0013-8000', { token: pa });
    expect(byMobile.body.items.map((h: { id: number }) => h.id)).toEqual([aliceId]);
    const byId = await f.call('GET', '/holders?id_number=e12345678', { token: pa });
    expect(byId.body.items.map((h: { id: number }) => h.id)).toEqual([bobId]);
    const last4 = f.seed.pans[2]!.slice(-4);
    expect((await queryHolders(f.ctx, { cardLast4: last4, program: 'SV' })).map((h) => h.id)).toContain(bobId);
    expect(await queryHolders(f.ctx, { program: 'NOPE' })).toEqual([]);
  });

  it('registers through the API with a one-time password shown once; a mobile registered twice is 409', async () => {
    const io = await f.login('io');
    const r = await f.call('POST', '/holders', { token: io, body: { name: 'Carol', id_type: 'other', id_number: 'X-0001', mobile: '13700137000' } });
    expect(r.status).toBe(201);
    expect(r.body.one_time_password).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect((await f.call('GET', `/holders/${r.body.id}`, { token: io })).body.one_time_password).toBeUndefined();
    await holderLogin('13700137000', r.body.one_time_password);
    const dup = await f.call('POST', '/holders', { token: io, body: { name: 'Carol 2', id_type: 'other', id_number: 'X-0002', mobile: '137 0013 7000' } });
    expect([dup.status, dup.body.field]).toEqual([409, 'mobile']);
    const bad = await f.call('POST', '/holders', { token: io, body: { name: 'D', id_type: 'visa', id_number: 'X-3', mobile: '1' } });
    expect([bad.status, bad.body.field]).toEqual([400, 'id_type']);
  });

  it('links a card through the API; a card of another holder is 409', async () => {
    const pa = await f.login('pa');
    const r = await f.call('POST', `/holders/${bobId}/cards`, { token: pa, body: { card: f.seed.pans[3] } });
    expect([r.status, r.body.id]).toEqual([201, f.seed.cardIds[3]]);
    const again = await f.call('POST', `/holders/${bobId}/cards`, { token: pa, body: { card_id: f.seed.cardIds[0] } });
    expect([again.status, again.body.field]).toEqual([409, 'card']);
  });
});

describe('cardholder sessions', () => {
  it('a cardholder sees its own cards with balances, their transactions and the rates; another holder\'s card is 404', async () => {
    const t = await holderLogin('13800138000');
    const cards = await f.call('GET', '/cards', { token: t });
    expect(cards.body.items.map((c: { id: number }) => c.id)).toEqual([f.seed.cardIds[0], f.seed.cardIds[1]]);
    expect(cards.body.items[0]).toMatchObject({ status: 'active', program: 'SV', balance: { available: 5000, ledger: 5000, currency: 'CNY' }, points: {} });
    expect(cards.body.items[0].masked).toMatch(/^622000\*+\d{4}$/);
    const p = await f.send({ request_id: 'buy-1', type: 'purchase', card: f.seed.pans[0], amount: 1200, merchant: 'M1', terminal: 'T1' });
    expect(p.body.response_code).toBe('00');
    const txns = await f.call('GET', `/cards/${f.seed.cardIds[0]}/transactions`, { token: t });
    expect(txns.body.items.map((x: { id: number; type: string }) => [x.id, x.type])).toEqual([[p.body.transaction_id, 'purchase']]);
    expect((await f.call('GET', `/cards/${f.seed.cardIds[2]}/transactions`, { token: t })).status).toBe(404);
    expect((await f.call('POST', `/cards/${f.seed.cardIds[2]}/lost`, { token: t })).status).toBe(404);
    expect((await f.call('GET', '/rates', { token: t })).body).toEqual({ items: [], next_cursor: null });
    expect((await f.call('GET', '/holders', { token: t })).status).toBe(403);
    expect((await f.call('GET', '/transactions', { token: t })).status).toBe(403);
  });

  it('report lost: the card declines 41 from then on, a reversal is still acknowledged; reporting twice is 409', async () => {
    const t = await holderLogin('13800138000');
    const p = await f.send({ request_id: 'buy-2', type: 'purchase', card: f.seed.pans[0], amount: 100, merchant: 'M1', terminal: 'T1' });
    expect(p.body.response_code).toBe('00');
    const r = await f.call('POST', `/cards/${f.seed.cardIds[0]}/lost`, { token: t });
    expect([r.status, r.body.status]).toEqual([200, 'lost']);
    expect((await f.call('POST', `/cards/${f.seed.cardIds[0]}/lost`, { token: t })).status).toBe(409);
    const after = await f.send({ request_id: 'buy-3', type: 'purchase', card: f.seed.pans[0], amount: 100, merchant: 'M1', terminal: 'T1' });
    expect(after.body.response_code).toBe('41');
    const rev = await f.send({ request_id: 'rev-2', type: 'reversal', original_request_id: 'buy-2', merchant: 'M1', terminal: 'T1' });
    expect(rev.body.response_code).toBe('00');
    const audit = await f.ctx.db.pg.query("select actor, outcome from audit_log where action = 'card.mark_lost' and target = $1", [`card:${f.seed.cardIds[0]}`]);
    expect(audit.rows).toEqual([{ actor: `api:holder.${aliceId}`, outcome: 'ok' }]);
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });

  it('changes its own password; the old one stops working; five wrong passwords lock it (429)', async () => {
    const t = await holderLogin('+8613900139000');
    expect((await f.call('POST', '/password', { token: t, body: { current_password: PW, new_password: 'a brand new secret' } })).status).toBe(204);
    expect((await f.call('POST', '/sessions', { body: { mobile: '+8613900139000', password: PW } })).status).toBe(401);
    await holderLogin('+8613900139000', 'a brand new secret');
    for (let i = 0; i < 5; i++) await f.call('POST', '/sessions', { body: { mobile: '+8613900139000', password: 'wrong password' } });
    const locked = await f.call('POST', '/sessions', { body: { mobile: '+8613900139000', password: 'a brand new secret' } });
    expect(locked.status).toBe(429);
    expect((await f.call('POST', '/sessions', { body: { mobile: '13000000000', password: PW } })).status).toBe(401);
    expect((await f.call('POST', '/sessions', { body: { mobile: '13000000000', username: 'pa', password: PW } })).status).toBe(400);
  });
});

describe('forget', () => {
  it('refuses while a card carries value, erases personal data and the login once none does, audited', async () => {
    await expect(forgetHolder(f.ctx, aliceId, cliActor())).rejects.toMatchObject({ code: 'conflict' });
    const r = await addHolder(f.ctx, { name: 'Dan', id_type: 'passport', id_number: 'P7654321', mobile: '13600136000' }, PW, cliActor());
    const t = await holderLogin('13600136000');
    const gone = await forgetHolder(f.ctx, r.holder.id, cliActor());
    expect(gone).toMatchObject({ name: null, id_number: null, mobile: null, id_type: null, forgotten: true });
    expect((await f.call('GET', '/cards', { token: t })).status).toBe(401);
    expect((await f.call('POST', '/sessions', { body: { mobile: '13600136000', password: PW } })).status).toBe(401);
    const { rows } = await f.ctx.db.pg.query('select pii_cipher, mobile_index, id_number_index from holders where id = $1', [r.holder.id]);
    expect(rows[0]).toEqual({ pii_cipher: null, mobile_index: null, id_number_index: null });
    const audit = await f.ctx.db.pg.query("select outcome from audit_log where action = 'holder.forget' and target = $1", [`holder:${r.holder.id}`]);
    expect(audit.rows).toEqual([{ outcome: 'ok' }]);
  });
});
