import { describe, expect, it } from 'vitest';
import { daemonFixture, expectNoPans } from '../helpers/daemon.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { bpsOf, roundDiv } from '../../src/ledger/money.js';

const f = await daemonFixture({ cards: 5 });
const [c0, c1, c2, c3, c4] = f.seed.cardIds as [number, number, number, number, number];
const [p0, p1, p2, p3, p4] = f.seed.pans as [string, string, string, string, string];
const base = { merchant: 'M1', terminal: 'T1' };

async function entryCount(): Promise<number> {
  return (await f.ctx.db.pg.query('select count(*)::int as n from entries')).rows[0].n;
}

async function commissionOf(txnId: number): Promise<number> {
  const { rows } = await f.ctx.db.pg.query(
    `select coalesce(sum(p.amount), 0)::bigint as c from postings p join transactions t on t.entry_id = p.entry_id
     where t.id = $1 and p.account = 'revenue:merchant_commission'`, [txnId]);
  return rows[0].c;
}

describe('reversal', () => {
  it('acknowledges a reversal before its original and then declines the late original 94 without moving money', async () => {
    await f.fund(c0, 5_000);
    const before = await entryCount();
    const rev = await f.send({ ...base, request_id: 'r-early', type: 'reversal', original_request_id: 'late-1' });
    expect(rev.body).toMatchObject({ approved: true, response_code: '00' });
    const late = await f.send({ ...base, request_id: 'late-1', type: 'purchase', card: p0, amount: 1_000 });
    expect(late.body).toMatchObject({ approved: false, response_code: '94', amount_approved: 0 });
    expect(await entryCount()).toBe(before);
    expect((await f.balance(c0)).balance).toBe(5_000);
    // The late original's answer is stored like any other: a repeat gets it again.
    const again = await f.send({ ...base, request_id: 'late-1', type: 'purchase', card: p0, amount: 1_000 });
    expect(again.body).toEqual(late.body);
  });

  it('reverses a purchase fully (channel fee included) once, however often the reversal is repeated', async () => {
    const buy = await f.send({ ...base, request_id: 'buy-r', type: 'purchase', card: p0, amount: 1_200 });
    expect(buy.body.response_code).toBe('00');
    const r1 = await f.send({ ...base, request_id: 'rev-1', type: 'reversal', original_request_id: 'buy-r' });
    expect(r1.body).toMatchObject({ approved: true, response_code: '00', amount_approved: 1_200 });
    const entries = await entryCount();
    const r1again = await f.send({ ...base, request_id: 'rev-1', type: 'reversal', original_request_id: 'buy-r' });
    expect(r1again.body).toEqual(r1.body);
    const r2 = await f.send({ ...base, request_id: 'rev-2', type: 'reversal', original_request_id: 'buy-r' });
    expect(r2.body).toMatchObject({ approved: true, response_code: '00', amount_approved: 0 });
    expect(await entryCount()).toBe(entries);
    expect((await f.balance(c0)).balance).toBe(5_000);
    // Reversal negates every leg, the channel fee too: the merchant, revenue and channel accounts net to zero.
    const { rows } = await f.ctx.db.pg.query(
      `select account, sum(amount)::bigint as s from postings p join transactions t on t.entry_id = p.entry_id
       where t.request_id in ('buy-r', 'rev-1') group by account having sum(amount) <> 0`);
    expect(rows).toEqual([]);
  });

  it('refuses 51 to reverse a load whose value is already spent, moving nothing', async () => {
    const ld = await f.send({ ...base, request_id: 'ld-spent', type: 'load', card: p1, amount: 3_000 });
    expect(ld.body.response_code).toBe('00');
    expect((await f.send({ ...base, request_id: 'spend-1', type: 'purchase', card: p1, amount: 2_000 })).body.response_code).toBe('00');
    const before = await entryCount();
    const rev = await f.send({ ...base, request_id: 'rev-ld', type: 'reversal', original_request_id: 'ld-spent' });
    expect(rev.body).toMatchObject({ approved: false, response_code: '51' });
    expect(await entryCount()).toBe(before);
    expect((await f.balance(c1)).balance).toBe(1_000);
  });
});

describe('void and refund', () => {
  it('voids on the same business date, keeping the channel fee, and answers 94 to a second void', async () => {
    await f.fund(c2, 10_000);
    const buy = await f.send({ ...base, request_id: 'buy-v', type: 'purchase', card: p2, amount: 2_000 });
    const v1 = await f.send({ ...base, request_id: 'void-1', type: 'void', original_request_id: 'buy-v' });
    expect(v1.body).toMatchObject({ approved: true, response_code: '00', amount_approved: 2_000 });
    expect((await f.balance(c2)).balance).toBe(10_000);
    const fee = 1 + bpsOf(2_000, 10);
    const { rows } = await f.ctx.db.pg.query(
      `select account, sum(amount)::bigint as s from postings p join transactions t on t.entry_id = p.entry_id
       where t.id = any($1) group by account having sum(amount) <> 0 order by account`, [[buy.body.transaction_id, v1.body.transaction_id]]);
    expect(Object.fromEntries(rows.map((r) => [r.account, r.s]))).toEqual({ [`channel:${f.channel.id}`]: fee, 'revenue:channel_fees': -fee });
    const v2 = await f.send({ ...base, request_id: 'void-2', type: 'void', original_request_id: 'buy-v' });
    expect(v2.body).toMatchObject({ approved: false, response_code: '94' });
  });

  it('refuses a void on the next business date (12) while a refund of the same purchase works', async () => {
    const buy = await f.send({ ...base, request_id: 'buy-n', type: 'purchase', card: p2, amount: 3_000 });
    expect(buy.body.response_code).toBe('00');
    f.ctx.clock.advance(24 * 3_600_000);
    try {
      const v = await f.send({ ...base, request_id: 'void-n', type: 'void', original_request_id: 'buy-n' });
      expect(v.body).toMatchObject({ approved: false, response_code: '12' });
      const rf = await f.send({ ...base, request_id: 'refund-n', type: 'refund', original_request_id: 'buy-n', amount: 3_000 });
      expect(rf.body).toMatchObject({ approved: true, response_code: '00', amount_approved: 3_000 });
      expect((await f.balance(c2)).balance).toBe(10_000);
    } finally {
      f.ctx.clock.advance(-24 * 3_600_000);
    }
  });

  it('refuses a refund beyond what remains refundable (13) and returns exactly the commission over partial refunds', async () => {
    await f.fund(c3, 10_000);
    const amount = 333;
    const buy = await f.send({ ...base, request_id: 'buy-rf', type: 'purchase', card: p3, amount });
    const f0 = bpsOf(amount, 150);
    expect(await commissionOf(buy.body.transaction_id as number)).toBe(f0);
    const parts = [100, 100, 133];
    let returned = 0;
    let before = 0;
    for (const [n, x] of parts.entries()) {
      const r = await f.send({ ...base, request_id: `rf-${n}`, type: 'refund', original_request_id: 'buy-rf', amount: x });
      expect(r.body.response_code).toBe('00');
      const fx = -(await commissionOf(r.body.transaction_id as number));
      expect(fx).toBe(roundDiv(f0 * (before + x), amount) - roundDiv(f0 * before, amount));
      before += x;
      returned += fx;
    }
    expect(returned).toBe(f0);
    const over = await f.send({ ...base, request_id: 'rf-over', type: 'refund', original_request_id: 'buy-rf', amount: 1 });
    expect(over.body).toMatchObject({ approved: false, response_code: '13' });
    expect((await f.balance(c3)).balance).toBe(10_000);
  });

  it('answers 25 to a void, refund or capture of an unknown original', async () => {
    for (const type of ['void', 'refund', 'capture']) {
      const r = await f.send({ ...base, request_id: `unk-${type}`, type, original_request_id: 'never-sent', ...(type === 'void' ? {} : { amount: 10 }) });
      expect(r.body).toMatchObject({ approved: false, response_code: '25' });
    }
  });
});

describe('card status', () => {
  it('answers 62 for a frozen card, 41 for a lost one, 54 for an expired one (balance still works)', async () => {
    await f.fund(c4, 1_000);
    await f.ctx.db.pg.query(`update cards set status = 'frozen' where id = $1`, [c4]);
    expect((await f.send({ ...base, request_id: 'st-1', type: 'purchase', card: p4, amount: 10 })).body.response_code).toBe('62');
    await f.ctx.db.pg.query(`update cards set status = 'lost' where id = $1`, [c4]);
    expect((await f.send({ ...base, request_id: 'st-2', type: 'purchase', card: p4, amount: 10 })).body.response_code).toBe('41');
    await f.ctx.db.pg.query(`update cards set status = 'active', expiry_date = '2026-03-09' where id = $1`, [c4]);
    expect((await f.send({ ...base, request_id: 'st-3', type: 'purchase', card: p4, amount: 10 })).body.response_code).toBe('54');
    const bal = await f.send({ ...base, request_id: 'st-4', type: 'balance', card: p4 });
    expect(bal.body).toMatchObject({ response_code: '00', balance: { available: 1_000, ledger: 1_000, currency: 'CNY', points: {} } });
  });

  it('keeps the ledger verified and logs no card number', async () => {
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
    expectNoPans(f.logs, f.seed.pans);
  });
});
