import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { daemonFixture } from '../helpers/daemon.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { settleBusinessDate } from '../../src/settlement/settle.js';

// A reversal naming a void (a POS terminal reverses a void whose answer it never saw): the void
// never happened, so the voided original stands approved again (design §5: a reversal of a
// processed original is always acknowledged, 51 when the card no longer covers it).
const D = '2026-03-10'; // the fixture clock's business date
const f = await daemonFixture({ cards: 4 });
const [c0, , c2, c3] = f.seed.cardIds as [number, number, number, number];
const [p0, p1, p2, p3] = f.seed.pans as [string, string, string, string];
const M1 = { merchant: 'M1', terminal: 'T1' };
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-revvoid-'));

const send = async (body: Record<string, unknown>) => (await f.send({ ...M1, ...body })).body;
const statusOf = async (...ids: string[]) => Object.fromEntries((await f.ctx.db.pg.query<{ request_id: string; status: string }>(
  'select request_id, status from transactions where request_id = any($1)', [ids])).rows.map((r) => [r.request_id, r.status]));

describe('a reversal of a void', () => {
  it('puts a voided purchase back (approved again, the card debited again); a repeat changes nothing; the purchase can then be voided anew', async () => {
    await f.fund(c0, 10_000);
    expect(await send({ request_id: 'p1', type: 'purchase', card: p0, amount: 2_000 })).toMatchObject({ response_code: '00' });
    expect(await send({ request_id: 'v1', type: 'void', original_request_id: 'p1' })).toMatchObject({ response_code: '00', balance: { available: 10_000 } });
    const r = await send({ request_id: 'rv1', type: 'reversal', original_request_id: 'v1' });
    expect(r).toMatchObject({ approved: true, response_code: '00', amount_approved: 2_000, balance: { available: 8_000, ledger: 8_000 } });
    expect(await statusOf('p1', 'v1', 'rv1')).toEqual({ p1: 'approved', v1: 'reversed', rv1: 'approved' });
    // The reversal's entry negates the void's and settles as the purchase it puts back.
    const { rows: [entry] } = await f.ctx.db.pg.query(`
      select e.kind, e.reverses_entry_id = (select entry_id from transactions where request_id = 'v1') as of_void,
             (select array_agg(distinct p.reverses_kind) from postings p where p.entry_id = e.id) as settles_as
      from entries e join transactions t on t.entry_id = e.id where t.request_id = 'rv1'`);
    expect(entry).toEqual({ kind: 'reversal', of_void: true, settles_as: ['purchase'] });

    expect(await send({ request_id: 'rv1b', type: 'reversal', original_request_id: 'v1' })).toMatchObject({ response_code: '00' });
    expect(await f.balance(c0)).toEqual({ balance: 8_000, held: 0 });
    expect(await send({ request_id: 'v1b', type: 'void', original_request_id: 'p1' })).toMatchObject({ response_code: '00', balance: { available: 10_000 } });
    expect(await statusOf('p1', 'v1b')).toEqual({ p1: 'voided', v1b: 'approved' });
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });

  it('puts a voided load back', async () => {
    expect(await send({ request_id: 'l2', type: 'load', card: p1, amount: 3_000 })).toMatchObject({ response_code: '00' });
    expect(await send({ request_id: 'v2', type: 'void', original_request_id: 'l2' })).toMatchObject({ response_code: '00', balance: { available: 0 } });
    expect(await send({ request_id: 'rv2', type: 'reversal', original_request_id: 'v2' })).toMatchObject({ response_code: '00', balance: { available: 3_000 } });
    expect(await statusOf('l2', 'v2')).toEqual({ l2: 'approved', v2: 'reversed' });
  });

  it('51 when the card no longer covers the purchase it would put back: nothing moves, the void stands', async () => {
    await f.fund(c2, 1_000);
    expect(await send({ request_id: 'p3', type: 'purchase', card: p2, amount: 800 })).toMatchObject({ response_code: '00' });
    expect(await send({ request_id: 'v3', type: 'void', original_request_id: 'p3' })).toMatchObject({ response_code: '00' });
    expect(await send({ request_id: 'p3b', type: 'purchase', card: p2, amount: 500 })).toMatchObject({ response_code: '00' });
    expect(await send({ request_id: 'rv3', type: 'reversal', original_request_id: 'v3' })).toMatchObject({ approved: false, response_code: '51' });
    expect(await f.balance(c2)).toEqual({ balance: 500, held: 0 });
    expect(await statusOf('p3', 'v3')).toEqual({ p3: 'voided', v3: 'approved' });
  });

  it('12 for a void that did more than negate an entry (a pre-auth void released its hold; a void of a refund returned its amount): nothing moves', async () => {
    await f.fund(c3, 5_000);
    expect(await send({ request_id: 'a4', type: 'preauth', card: p3, amount: 1_000 })).toMatchObject({ response_code: '00' });
    expect(await send({ request_id: 'v4', type: 'void', original_request_id: 'a4' })).toMatchObject({ response_code: '00' });
    expect(await send({ request_id: 'rv4', type: 'reversal', original_request_id: 'v4' })).toMatchObject({ approved: false, response_code: '12' });
    expect(await f.balance(c3)).toEqual({ balance: 5_000, held: 0 });
    expect(await send({ request_id: 'p5', type: 'purchase', card: p3, amount: 2_000 })).toMatchObject({ response_code: '00' });
    expect(await send({ request_id: 'r5', type: 'refund', original_request_id: 'p5', amount: 500 })).toMatchObject({ response_code: '00' });
    expect(await send({ request_id: 'v5', type: 'void', original_request_id: 'r5' })).toMatchObject({ response_code: '00' });
    expect(await send({ request_id: 'rv5', type: 'reversal', original_request_id: 'v5' })).toMatchObject({ approved: false, response_code: '12' });
    expect(await f.balance(c3)).toEqual({ balance: 3_000, held: 0 });
    expect(await statusOf('r5', 'v5')).toEqual({ r5: 'voided', v5: 'approved' });
  });

  it('settles what was put back as what it is: the load l2 counted once in the merchant and channel files, its void and the reversal in neither', async () => {
    // The day at M1 (150 bps) through CH (1 fen + 10 bps): purchases p1 (put back, then voided by
    // v1b), p3 (voided), p3b 500, p5 2000 (its refund r5 voided); the load l2 3000, voided and put back.
    f.ctx.clock.set('2026-03-11T00:05:00+08:00');
    await settleBusinessDate(f.ctx, { date: D, out });
    const merchants = fs.readFileSync(path.join(out, `merchants-${D}.csv`), 'utf8').split('\n');
    // purchases 500 + 2000, commission r(7.5) + 30 = 8 + 30; the load 3000 (cash taken by M1).
    expect(merchants[1]).toBe(`${D},M1,Merchant one,CNY,2,2500,0,0,1,3000,38,0,0,0,0,-538`);
    // CH counts p1 and p3 (voided: the fee stays), p3b, p5, r5 (voided) and l2; no void, no reversal.
    // Fees 1 fen + r(10 bps): 3 + 2 + 2 + 3 + 2 + 4 = 16, once each (a void keeps it, a void's reversal charges none).
    const channels = fs.readFileSync(path.join(out, `channels-${D}.csv`), 'utf8').split('\n');
    expect(channels[1]).toBe(`${D},CH,CNY,6,16,16`);
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });
});
