import { describe, expect, it } from 'vitest';
import { daemonFixture } from '../helpers/daemon.js';
import { expectNoCardNumbers, storedCounts } from '../helpers/daemon-extra.js';
import { addChannel } from '../../src/registry/channels.js';
import { verifyLedger } from '../../src/ledger/verify.js';

const f = await daemonFixture({ cards: 4 });
const [c0, c1, c2, c3] = f.seed.cardIds as [number, number, number, number];
const [p0, p1, p2, p3] = f.seed.pans as [string, string, string, string];
const base = { merchant: 'M1', terminal: 'T1' };
const ch2 = await addChannel(f.ctx, { code: 'CH2', merchants: ['M1'] });

describe('idempotency by (channel, request_id)', () => {
  it('an identical repeat returns the stored response and moves nothing again', async () => {
    await f.fund(c0, 1_000);
    const body = { ...base, request_id: 'i-1', type: 'purchase', card: p0, amount: 300 };
    const first = await f.send(body);
    expect(first.body).toMatchObject({ approved: true, response_code: '00', balance: { available: 700 } });
    const counts = await storedCounts(f.ctx);
    const again = await f.send(body);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await storedCounts(f.ctx)).toEqual(counts);
    expect((await f.balance(c0)).balance).toBe(700);
  });

  it('a declined message is stored too: its repeat gets the same decline even after the card could pay', async () => {
    const body = { ...base, request_id: 'i-51', type: 'purchase', card: p1, amount: 500 };
    const first = await f.send(body);
    expect(first.body).toMatchObject({ approved: false, response_code: '51' });
    await f.fund(c1, 1_000);
    const again = await f.send(body);
    expect(again.body).toEqual(first.body);
    expect((await f.balance(c1)).balance).toBe(1_000);
    // Declines before the card is even known (14, 58) are stored as well.
    const unknown = { ...base, request_id: 'i-14', type: 'balance', card: '6220000000000000000' };
    const u1 = await f.send(unknown);
    expect(u1.body.response_code).toBe('14');
    expect((await f.send(unknown)).body).toEqual(u1.body);
    const foreign = { merchant: 'M1', terminal: 'T9', request_id: 'i-58', type: 'balance', card: p1 };
    const g1 = await f.send(foreign);
    expect(g1.body.response_code).toBe('58');
    expect((await f.send(foreign)).body).toEqual(g1.body);
  });

  it('the same request_id with a different body answers 409 and changes nothing', async () => {
    const counts = await storedCounts(f.ctx);
    for (const change of [{ amount: 301 }, { card: p1 }, { type: 'preauth' }, { partial: true }]) {
      const r = await f.send({ ...base, request_id: 'i-1', type: 'purchase', card: p0, amount: 300, ...change });
      expect(r.status).toBe(409);
      expect(r.body).toEqual({ error: { code: 'request_id_reused', message: expect.any(String), field: 'request_id' } });
    }
    // A declined message's key is taken as well.
    expect((await f.send({ ...base, request_id: 'i-51', type: 'purchase', card: p1, amount: 400 })).status).toBe(409);
    expect(await storedCounts(f.ctx)).toEqual(counts);
    expect((await f.balance(c0)).balance).toBe(700);
  });

  it('compares the canonical body: key order and spacing do not matter; a field the type does not define is a 400, not a repeat', async () => {
    const first = await f.send({ ...base, request_id: 'i-1', type: 'purchase', card: p0, amount: 300 });
    const raw = `{ "amount" : 300,\n "card": "${p0}", "type": "purchase", "terminal": "T1", "merchant": "M1", "request_id": "i-1" }`;
    const reordered = await f.send({}, { raw });
    expect(reordered.status).toBe(200);
    expect(reordered.body).toEqual(first.body);
    const extra = await f.send({}, { raw: raw.replace(' }', ', "game": "ignored" }') });
    expect(extra.status).toBe(400);
    expect(extra.body).toMatchObject({ error: { field: 'game' } });
    expect((await f.balance(c0)).balance).toBe(700);
  });

  it('the same request 5 times concurrently: one effect, five identical responses (a load)', async () => {
    const body = { ...base, request_id: 'i-load5', type: 'load', card: p2, amount: 250 };
    const answers = await Promise.all(Array.from({ length: 5 }, () => f.send(body)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    for (const a of answers) expect(a.body).toEqual(answers[0]!.body);
    expect(answers[0]!.body).toMatchObject({ approved: true, response_code: '00', amount_approved: 250 });
    expect((await f.balance(c2)).balance).toBe(250);
  });

  it('one request_id with 5 different bodies concurrently: one processed, four 409, one effect', async () => {
    await f.fund(c3, 1_000);
    const answers = await Promise.all([10, 20, 30, 40, 50].map((amount) =>
      f.send({ ...base, request_id: 'i-race', type: 'purchase', card: p3, amount })));
    const ok = answers.filter((a) => a.status === 200);
    expect(ok).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(4);
    expect((await f.balance(c3)).balance).toBe(1_000 - (ok[0]!.body.amount_approved as number));
    const { rows } = await f.ctx.db.pg.query(`select count(*)::int as n from transactions where request_id = 'i-race'`);
    expect(rows[0].n).toBe(1);
  });

  it('keys are per channel: the same request_id on another channel is another message', async () => {
    const body = { ...base, request_id: 'i-1', type: 'purchase', card: p0, amount: 100 };
    const r = await f.send(body, { channel: 'CH2', secret: ch2.secret });
    expect(r.body).toMatchObject({ request_id: 'i-1', approved: true, response_code: '00', balance: { available: 600 } });
    expect((await f.balance(c0)).balance).toBe(600);
  });

  it('the idempotency store keeps a keyed hash of the body and the response, never the card number', async () => {
    const { rows } = await f.ctx.db.pg.query(`select row_to_json(t)::text as row from transactions t`);
    expect(rows.length).toBeGreaterThan(5);
    for (const r of rows) for (const pan of f.seed.pans) expect(r.row.includes(pan)).toBe(false);
    const { rows: [h] } = await f.ctx.db.pg.query(`select length(body_hash) as n from transactions where request_id = 'i-1' and channel_id = $1`, [f.channel.id]);
    expect(h.n).toBe(32);
  });

  it('keeps the ledger verified and logs no card number', async () => {
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
    expectNoCardNumbers(f.logs);
  });
});
