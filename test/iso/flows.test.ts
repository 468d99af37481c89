import { describe, expect, it } from 'vitest';
import { isoFixture, code39, de54Amount } from '../helpers/iso.js';
import { text } from '../../src/iso/codec.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { checkValue, cupMac } from '../../src/iso/crypto.js';
import { macBlock, sign } from '../../src/iso/frontend.js';

const f = await isoFixture({ cards: 3 });
const [c0, c1] = f.seed.cardIds as [number, number, number];
const [p0, p1] = f.seed.pans as [string, string, string];
await f.fund(c0, 100_000);
await f.fund(c1, 5_000);
const t = await f.terminal();

describe('ISO 8583 through a real TCP socket', () => {
  it('a request before sign-on answers 77 (sign on again) without a MAC', async () => {
    const r = await t.conn.send(t.request('balance', { card: p0 }));
    expect(code39(r.msg)).toBe('77');
    expect(r.header[2]! & 0x0f).toBe(3);
    expect(r.msg.fields.has(64)).toBe(false);
  });

  it('sign-on answers 0810 with working keys under the TMK whose check values match, and the batch in 60.2', async () => {
    const a = await t.signOn();
    expect(a.mti).toBe('0810');
    expect(code39(a)).toBe('00');
    const de62 = a.fields.get(62) as Buffer;
    expect(de62.length).toBe(40);
    expect(de62.subarray(16, 20)).toEqual(checkValue(t.pik!));
    expect(de62.subarray(36, 40)).toEqual(checkValue(t.mak!));
    expect(de62.subarray(28, 36)).toEqual(Buffer.alloc(8));
    expect(t.keysChecked).toBe(true);
    expect(text(a, 60)).toBe('00000001003');
    expect(a.fields.has(64)).toBe(false);
  });

  it('balance: 0210 with DE54, the echoed fields, 12/13/15/32/37 and a MAC that verifies with the MAK', async () => {
    const req = t.request('balance', { card: p0 });
    const r = await t.conn.send(sign(req, 'cup', t.mak!));
    const a = r.msg;
    expect(a.mti).toBe('0210');
    expect(code39(a)).toBe('00');
    expect(text(a, 54)).toBe('1002156C000000100000');
    for (const no of [2, 3, 11, 25, 49, 60]) expect(a.fields.get(no)).toEqual(req.fields.get(no));
    expect([text(a, 41), text(a, 42)]).toEqual(['T1      ', 'M1             ']);
    for (const no of [12, 13, 15, 32, 37]) expect(a.fields.has(no)).toBe(true);
    expect(text(a, 37)).toMatch(/^\d{12}$/);
    expect(r.tpdu.toString('hex')).toBe('6000000003');
    expect(r.header.toString('hex')).toBe('603100310208');
    expect(a.fields.get(64)).toEqual(cupMac(t.mak!, macBlock(a)));
  });

  it('purchase approves with an auth code and moves money; the repeat gets the same answer and moves nothing more', async () => {
    const req = t.request('purchase', { card: p0, amount: 1_234 });
    const a = await t.send(req);
    expect(code39(a)).toBe('00');
    expect(text(a, 38)).toMatch(/^\d{6}$/);
    expect(de54Amount(a)).toBe(100_000 - 1_234);
    const again = await t.send(req);
    expect(code39(again)).toBe('00');
    expect(text(again, 37)).toBe(text(a, 37));
    expect(text(again, 38)).toBe(text(a, 38));
    expect((await f.balance(c0)).balance).toBe(100_000 - 1_234);
    const changed = t.request('purchase', { card: p0, amount: 1_235, stan: Number(text(req, 11)) });
    expect(code39(await t.send(changed))).toBe('94');
    expect((await f.balance(c0)).balance).toBe(100_000 - 1_234);
  });

  it('DE49 is the currency: a code that is not the card program\'s (840) is declined 13 and moves nothing', async () => {
    const req = t.request('purchase', { card: p1, amount: 100 });
    req.fields.set(49, '840');
    expect(code39(await t.send(req))).toBe('13');
    expect((await f.balance(c1)).balance).toBe(5_000);
  });

  it('a wrong MAC answers A0 without a MAC and moves nothing', async () => {
    const req = t.request('purchase', { card: p1, amount: 100 });
    req.fields.set(64, Buffer.from('00000000'));
    const a = await t.send(req, { mac: false });
    expect(code39(a)).toBe('A0');
    expect(a.fields.has(64)).toBe(false);
    expect((await f.balance(c1)).balance).toBe(5_000);
  });

  it('reversal of a purchase by the same STAN and batch returns the money; a repeated reversal answers 00 again', async () => {
    const req = t.request('purchase', { card: p1, amount: 700 });
    expect(code39(await t.send(req))).toBe('00');
    expect((await f.balance(c1)).balance).toBe(4_300);
    const rev = t.reversalOf(req);
    const a = await t.send(rev);
    expect(a.mti).toBe('0410');
    expect(code39(a)).toBe('00');
    expect((await f.balance(c1)).balance).toBe(5_000);
    expect(code39(await t.send(t.reversalOf(req)))).toBe('00');
    expect((await f.balance(c1)).balance).toBe(5_000);
  });

  it('sign-on with 60.3 = 001 sends single-length keys (DE62 of 24 bytes) that work for the MAC', async () => {
    const a = await t.signOn('001');
    expect([code39(a), (a.fields.get(62) as Buffer).length, t.pik!.length, t.keysChecked]).toEqual(['00', 24, 8, true]);
    expect(code39(await t.send(t.request('balance', { card: p0, pin: '1234' })))).toBe('00');
  });

  it('keeps the ledger verified', async () => {
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });
});
