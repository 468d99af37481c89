import { describe, expect, it } from 'vitest';
import { daemonFixture } from '../helpers/daemon.js';
import { expectNoCardNumbers, issueCards } from '../helpers/daemon-extra.js';
import { verifyLedger } from '../../src/ledger/verify.js';

// Channel CH: 1 fen + 10 bps; merchant M1: 150 bps commission (see daemonFixture).
const f = await daemonFixture({ cards: 4 });
const [c0, c1, c2, c3] = f.seed.cardIds as [number, number, number, number];
const [p0, p1, p2, p3] = f.seed.pans as [string, string, string, string];
const issued = await issueCards(f.ctx, 'SV', 2, 'issued');
const base = { merchant: 'M1', terminal: 'T1' };
const M = () => `merchant:${f.merchantId}`;
const CH = () => `channel:${f.channel.id}`;
const card = (id: number) => `card:${id}:value`;

/** Exact r(x) of design §4 for the amounts used here, written out so the test does not reuse the code under test. */
const fee = (a: number) => 1 + Math.floor((a * 10) / 10_000 + 0.5);
const commission = (a: number) => Math.floor((a * 150) / 10_000 + 0.5);

let n = 0;
async function send(body: Record<string, unknown>) {
  const r = await f.send({ ...base, request_id: `f-${n++}`, ...body });
  expect(r.status).toBe(200);
  return r.body;
}

/**
 * The message's stored row and its postings: exactly one entry (the row's entry_id) carries every
 * leg, commission and channel fee included, and the row records the same commission and fee.
 */
async function posted(txnId: unknown) {
  const { rows: [t] } = await f.ctx.db.pg.query('select entry_id, commission, channel_fee from transactions where id = $1', [txnId]);
  const { rows: entries } = await f.ctx.db.pg.query('select id from entries where transaction_id = $1', [txnId]);
  const { rows: legs } = await f.ctx.db.pg.query('select account, amount from postings where entry_id = $1 order by account', [t.entry_id]);
  return {
    entries: entries.map((e) => e.id),
    entryId: t.entry_id as number | null,
    commission: t.commission as number,
    channelFee: t.channel_fee as number,
    legs: Object.fromEntries(legs.map((l) => [l.account, l.amount])) as Record<string, number>,
  };
}

describe('commission and channel fee in the same entry (design §4)', () => {
  it('purchase: card −a, merchant +(a−f), commission +f, channel +c, revenue:channel_fees −c with c = fixed + r(a·bps)', async () => {
    await f.fund(c0, 50_000);
    const a = 12_345; // f = r(185.175) = 185, c = 1 + r(12.345) = 13
    const r = await send({ type: 'purchase', card: p0, amount: a });
    const p = await posted(r.transaction_id);
    expect(p.entries).toEqual([p.entryId]);
    expect(p.legs).toEqual({ [card(c0)]: -a, [M()]: a - 185, 'revenue:merchant_commission': 185, [CH()]: 13, 'revenue:channel_fees': -13 });
    expect([p.commission, p.channelFee]).toEqual([commission(a), fee(a)]);
  });

  it('rounds half away from zero: a = 2500 pays c = 1 + r(2.5) = 4 and f = r(37.5) = 38', async () => {
    const r = await send({ type: 'purchase', card: p0, amount: 2_500 });
    const p = await posted(r.transaction_id);
    expect(p.legs).toMatchObject({ 'revenue:merchant_commission': 38, [CH()]: 4, 'revenue:channel_fees': -4, [M()]: 2_462 });
  });

  it('load and activation with value: card +a, merchant −a and the channel fee; no commission', async () => {
    const ld = await send({ type: 'load', card: p1, amount: 7_000 });
    expect((await posted(ld.transaction_id)).legs).toEqual({ [card(c1)]: 7_000, [M()]: -7_000, [CH()]: fee(7_000), 'revenue:channel_fees': -fee(7_000) });
    const act = await send({ type: 'activate', card: issued.pans[0], amount: 3_000 });
    const pa = await posted(act.transaction_id);
    expect(pa.legs).toEqual({ [card(issued.ids[0]!)]: 3_000, [M()]: -3_000, [CH()]: fee(3_000), 'revenue:channel_fees': -fee(3_000) });
    expect([pa.commission, pa.channelFee]).toEqual([0, fee(3_000)]);
  });

  it('nothing for balance, preauth, an activation without value and a decline', async () => {
    for (const body of [
      { type: 'balance', card: p1 },
      { type: 'preauth', card: p1, amount: 1_000 },
      { type: 'activate', card: issued.pans[1] },
      { type: 'purchase', card: p2, amount: 1 }, // 51: card c2 is empty
    ]) {
      const r = await send(body);
      const p = await posted(r.transaction_id);
      expect({ entries: p.entries, entryId: p.entryId, commission: p.commission, channelFee: p.channelFee }).toEqual({ entries: [], entryId: null, commission: 0, channelFee: 0 });
    }
  });

  it('capture: commission and fee on the captured amount, not the hold', async () => {
    await f.fund(c2, 20_000);
    const pre = await send({ type: 'preauth', card: p2, amount: 10_000, request_id: 'f-pre' });
    expect(pre.response_code).toBe('00');
    const cap = await send({ type: 'capture', original_request_id: 'f-pre', amount: 6_000 });
    const p = await posted(cap.transaction_id);
    expect(p.legs).toEqual({ [card(c2)]: -6_000, [M()]: 6_000 - 90, 'revenue:merchant_commission': 90, [CH()]: 7, 'revenue:channel_fees': -7 });
    expect([p.commission, p.channelFee]).toEqual([90, 7]);
  });

  it('refund x: card +x, merchant −(x−fx), commission −fx and a channel fee on x', async () => {
    await f.fund(c3, 20_000);
    const buy = await send({ type: 'purchase', card: p3, amount: 10_000, request_id: 'f-buy' }); // f = 150
    expect(buy.response_code).toBe('00');
    const rf = await send({ type: 'refund', original_request_id: 'f-buy', amount: 3_333 }); // fx = r(150·3333/10000) = r(49.995) = 50
    const p = await posted(rf.transaction_id);
    expect(p.legs).toEqual({ [card(c3)]: 3_333, [M()]: -(3_333 - 50), 'revenue:merchant_commission': -50, [CH()]: fee(3_333), 'revenue:channel_fees': -fee(3_333) });
    expect([p.commission, p.channelFee]).toEqual([50, fee(3_333)]);
  });

  it('void: the original negated except its channel fee, and no fee of its own', async () => {
    const buy = await send({ type: 'purchase', card: p3, amount: 4_000, request_id: 'f-v' }); // f = 60, c = 5
    const v = await send({ type: 'void', original_request_id: 'f-v' });
    const p = await posted(v.transaction_id);
    expect(p.legs).toEqual({ [card(c3)]: 4_000, [M()]: -3_940, 'revenue:merchant_commission': -60 });
    expect([p.commission, p.channelFee]).toEqual([0, 0]);
    expect((await posted(buy.transaction_id)).legs[CH()]).toBe(5);
  });

  it('reversal: the original negated, channel fee included, and no fee of its own', async () => {
    await send({ type: 'purchase', card: p3, amount: 4_000, request_id: 'f-r' });
    const r = await send({ type: 'reversal', original_request_id: 'f-r' });
    const p = await posted(r.transaction_id);
    expect(p.legs).toEqual({ [card(c3)]: 4_000, [M()]: -3_940, 'revenue:merchant_commission': -60, [CH()]: -5, 'revenue:channel_fees': 5 });
    expect([p.commission, p.channelFee]).toEqual([0, 0]);
  });

  it('keeps the ledger verified and logs no card number', async () => {
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
    expectNoCardNumbers(f.logs);
  });
});
