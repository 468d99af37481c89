import { describe, expect, it } from 'vitest';
import { daemonFixture, expectNoPans } from '../helpers/daemon.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { expireDueHolds } from '../../src/ledger/holds.js';
import { JOBS } from '../../src/daemon/jobs.js';

const f = await daemonFixture({ cards: 4 });
const [c0, c1, c2, c3] = f.seed.cardIds as [number, number, number, number];
const [p0, p1, p2, p3] = f.seed.pans as [string, string, string, string];
const base = { merchant: 'M1', terminal: 'T1' };
const DAY = 86_400_000;

describe('preauth and capture', () => {
  it('holds the amount, then a partial capture posts it and releases the rest of the hold', async () => {
    await f.fund(c0, 10_000);
    const pre = await f.send({ ...base, request_id: 'pre-1', type: 'preauth', card: p0, amount: 4_000 });
    expect(pre.body).toMatchObject({ approved: true, response_code: '00', balance: { available: 6_000, ledger: 10_000 } });
    expect(await f.balance(c0)).toEqual({ balance: 10_000, held: 4_000 });
    // A purchase sees only the available value.
    expect((await f.send({ ...base, request_id: 'buy-h', type: 'purchase', card: p0, amount: 6_001 })).body.response_code).toBe('51');
    const over = await f.send({ ...base, request_id: 'cap-over', type: 'capture', original_request_id: 'pre-1', amount: 4_001 });
    expect(over.body).toMatchObject({ approved: false, response_code: '13' });
    const cap = await f.send({ ...base, request_id: 'cap-1', type: 'capture', original_request_id: 'pre-1', amount: 2_500 });
    expect(cap.body).toMatchObject({ approved: true, response_code: '00', amount_approved: 2_500, balance: { available: 7_500, ledger: 7_500 } });
    expect(await f.balance(c0)).toEqual({ balance: 7_500, held: 0 });
    const again = await f.send({ ...base, request_id: 'cap-2', type: 'capture', original_request_id: 'pre-1', amount: 100 });
    expect(again.body).toMatchObject({ approved: false, response_code: '94' });
  });

  it('captures without naming the merchant: the preauth fixes it, as it fixes the card', async () => {
    await f.fund(c3, 5_000);
    expect((await f.send({ ...base, request_id: 'pre-nm', type: 'preauth', card: p3, amount: 2_000 })).body.response_code).toBe('00');
    const cap = await f.send({ request_id: 'cap-nm', type: 'capture', original_request_id: 'pre-nm', amount: 1_000 });
    expect(cap.status).toBe(200);
    expect(cap.body).toMatchObject({ approved: true, response_code: '00', amount_approved: 1_000, balance: { available: 4_000, ledger: 4_000 } });
    // M1 takes 150 bps: merchant +985, commission +15; the row names the preauth's merchant.
    const { rows } = await f.ctx.db.pg.query(`
      select p.account, p.amount, t.merchant_id from transactions t join postings p on p.entry_id = t.entry_id
      where t.request_id = 'cap-nm' and p.account in ($1, 'revenue:merchant_commission') order by p.account`, [`merchant:${f.merchantId}`]);
    expect(rows).toEqual([
      { account: `merchant:${f.merchantId}`, amount: 985, merchant_id: f.merchantId },
      { account: 'revenue:merchant_commission', amount: 15, merchant_id: f.merchantId },
    ]);
    expect(await f.balance(c3)).toEqual({ balance: 4_000, held: 0 });
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });

  it('releases an expired hold exactly once and declines a capture after expiry (12)', async () => {
    await f.fund(c1, 5_000);
    const pre = await f.send({ ...base, request_id: 'pre-exp', type: 'preauth', card: p1, amount: 3_000 });
    expect(pre.body.response_code).toBe('00');
    expect((await f.balance(c1)).held).toBe(3_000);
    f.ctx.clock.advance(7 * DAY + 1_000);
    try {
      const first = await expireDueHolds(f.ctx);
      expect(first).toEqual({ expired: 1, released: 3_000 });
      expect(await expireDueHolds(f.ctx)).toEqual({ expired: 0, released: 0 });
      expect(await f.balance(c1)).toEqual({ balance: 5_000, held: 0 });
      const cap = await f.send({ ...base, request_id: 'cap-exp', type: 'capture', original_request_id: 'pre-exp' });
      expect(cap.body).toMatchObject({ approved: false, response_code: '12' });
      expect(await f.balance(c1)).toEqual({ balance: 5_000, held: 0 });
    } finally {
      f.ctx.clock.advance(-(7 * DAY + 1_000));
    }
  });

  it('a capture arriving after expiry but before the job expires the hold itself, once', async () => {
    await f.fund(c2, 5_000);
    await f.send({ ...base, request_id: 'pre-exp2', type: 'preauth', card: p2, amount: 1_000 });
    f.ctx.clock.advance(7 * DAY);
    try {
      const cap = await f.send({ ...base, request_id: 'cap-exp2', type: 'capture', original_request_id: 'pre-exp2' });
      expect(cap.body).toMatchObject({ approved: false, response_code: '12' });
      expect(await f.balance(c2)).toEqual({ balance: 5_000, held: 0 });
      expect(await expireDueHolds(f.ctx)).toEqual({ expired: 0, released: 0 });
      const { rows } = await f.ctx.db.pg.query(`select status from holds where card_id = $1`, [c2]);
      expect(rows).toEqual([{ status: 'expired' }]);
    } finally {
      f.ctx.clock.advance(-7 * DAY);
    }
  });

  it('a void of a preauth releases its hold', async () => {
    await f.send({ ...base, request_id: 'pre-v', type: 'preauth', card: p2, amount: 500 });
    expect((await f.balance(c2)).held).toBe(500);
    const v = await f.send({ ...base, request_id: 'void-pre', type: 'void', original_request_id: 'pre-v' });
    expect(v.body).toMatchObject({ approved: true, response_code: '00' });
    expect(await f.balance(c2)).toEqual({ balance: 5_000, held: 0 });
  });

  it('registers the hold-expiry job with the scheduler', () => {
    expect(JOBS.some((j) => j.name === 'hold-expiry')).toBe(true);
  });

  it('keeps the ledger verified and logs no card number', async () => {
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
    expectNoPans(f.logs, f.seed.pans);
  });
});
