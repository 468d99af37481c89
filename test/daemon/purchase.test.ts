import { describe, expect, it } from 'vitest';
import { daemonFixture, expectNoPans } from '../helpers/daemon.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { bpsOf } from '../../src/ledger/money.js';

const f = await daemonFixture({ cards: 4 });
const [c0, c1, c2, c3] = f.seed.cardIds as [number, number, number, number];
const [p0, p1, p2] = f.seed.pans as [string, string, string, string];
const base = { merchant: 'M1', terminal: 'T1' };

async function postingsOf(txnId: number) {
  const { rows } = await f.ctx.db.pg.query(
    `select p.account, p.amount from postings p join transactions t on t.entry_id = p.entry_id where t.id = $1 order by p.account`, [txnId]);
  return Object.fromEntries(rows.map((r) => [r.account, r.amount]));
}

describe('purchase and load', () => {
  it('approves a purchase and posts card, merchant, commission and channel fee in one entry', async () => {
    await f.fund(c0, 10_000);
    const r = await f.send({ ...base, request_id: 'p-1', type: 'purchase', card: p0, amount: 2_345 });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ request_id: 'p-1', type: 'purchase', approved: true, response_code: '00', amount_requested: 2_345, amount_approved: 2_345 });
    expect(r.body.balance).toEqual({ available: 10_000 - 2_345, ledger: 10_000 - 2_345, currency: 'CNY', points: {} });
    const f150 = bpsOf(2_345, 150);
    const fee = 1 + bpsOf(2_345, 10);
    expect(await postingsOf(r.body.transaction_id as number)).toEqual({
      [`card:${c0}:value`]: -2_345,
      [`merchant:${f.merchantId}`]: 2_345 - f150,
      'revenue:merchant_commission': f150,
      [`channel:${f.channel.id}`]: fee,
      'revenue:channel_fees': -fee,
    });
  });

  it('declines 51 above the available balance and approves the rest with partial (10)', async () => {
    const no = await f.send({ ...base, request_id: 'p-2', type: 'purchase', card: p0, amount: 1_000_000 });
    expect(no.body).toMatchObject({ approved: false, response_code: '51', amount_approved: 0 });
    const part = await f.send({ ...base, request_id: 'p-3', type: 'purchase', card: p0, amount: 1_000_000, partial: true });
    expect(part.body).toMatchObject({ approved: true, response_code: '10', amount_approved: 10_000 - 2_345 });
    expect((await f.balance(c0)).balance).toBe(0);
  });

  it('loads with a channel fee and declines 61 above the program maximum', async () => {
    const r = await f.send({ ...base, request_id: 'l-1', type: 'load', card: p1, amount: 60_000 });
    expect(r.body).toMatchObject({ approved: true, response_code: '00' });
    const fee = 1 + bpsOf(60_000, 10);
    expect(await postingsOf(r.body.transaction_id as number)).toEqual({
      [`card:${c1}:value`]: 60_000, [`merchant:${f.merchantId}`]: -60_000, [`channel:${f.channel.id}`]: fee, 'revenue:channel_fees': -fee,
    });
    const over = await f.send({ ...base, request_id: 'l-2', type: 'load', card: p1, amount: 40_001 });
    expect(over.body).toMatchObject({ approved: false, response_code: '61' });
    expect((await f.balance(c1)).balance).toBe(60_000);
  });

  it('answers 14 for a Luhn-invalid or unknown card and 58 for a foreign terminal', async () => {
    const badLuhn = p2.slice(0, -1) + String((Number(p2.slice(-1)) + 1) % 10);
    expect((await f.send({ ...base, request_id: 'd-1', type: 'balance', card: badLuhn })).body).toMatchObject({ response_code: '14', balance: null });
    expect((await f.send({ ...base, request_id: 'd-2', type: 'balance', card: '6220000000000000000' })).body).toMatchObject({ response_code: '14' });
    expect((await f.send({ merchant: 'M1', terminal: 'NOPE', request_id: 'd-3', type: 'balance', card: p2 })).body).toMatchObject({ response_code: '58' });
    expect((await f.send({ merchant: 'NOPE', terminal: 'T1', request_id: 'd-4', type: 'balance', card: p2 })).body).toMatchObject({ response_code: '58' });
  });

  it('keeps the ledger verified', async () => {
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });

  it('logs no card number', () => {
    expectNoPans(f.logs, f.seed.pans);
    void c2; void c3;
  });
});
