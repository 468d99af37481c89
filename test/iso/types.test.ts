import { describe, expect, it } from 'vitest';
import { isoFixture, code39, de54Amount } from '../helpers/iso.js';
import { seedPointsDaemon, type PointsDaemonSeed } from '../helpers/points.js';
import { text, type IsoMessage } from '../../src/iso/codec.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import type { SimTerminal } from '../../src/iso/client.js';

// Every row of design §5b's message table through a real TCP socket, with the money checked.
let pts!: PointsDaemonSeed;
const f = await isoFixture({
  cards: 4, channelMerchants: ['M1', 'COFFEE'], keyed: [['COFFEE', 'T1']],
  setup: async (ctx) => void (pts = await seedPointsDaemon(ctx, 2)),
});
const [c0, c1, c2, c3] = f.seed.cardIds as [number, number, number, number];
const [p0, p1, p2, p3] = f.seed.pans as [string, string, string, string];
for (const c of [c0, c1, c2, c3]) await f.fund(c, 50_000);
const t = await f.terminal();
await t.signOn();
const bal = async (c: number) => (await f.balance(c)).balance;
const held = async (c: number) => (await f.balance(c)).held;
const stanOf = (m: IsoMessage) => Number(text(m, 11));

async function approved(term: SimTerminal, m: IsoMessage): Promise<IsoMessage> {
  const a = await term.send(m);
  expect(code39(a)).toBe('00');
  return a;
}

describe('ISO message table, one type at a time', () => {
  it('void (DE61 batch + STAN) returns a purchase; a second void answers 94', async () => {
    const sale = t.request('purchase', { card: p0, amount: 1_000 });
    await approved(t, sale);
    expect(await bal(c0)).toBe(49_000);
    const v = await approved(t, t.request('void', { card: p0, amount: 1_000, originalStan: stanOf(sale) }));
    expect(v.mti).toBe('0210');
    expect(await bal(c0)).toBe(50_000);
    expect(code39(await t.send(t.request('void', { card: p0, amount: 1_000, originalStan: stanOf(sale) })))).toBe('94');
  });

  it('refund (0220, DE61 + DE37 of the original) credits the card; a wrong DE37 answers 25; the advice repeated is idempotent', async () => {
    const sale = t.request('purchase', { card: p1, amount: 3_000 });
    const a = await approved(t, sale);
    const refund = t.request('refund', { card: p1, amount: 1_000, originalStan: stanOf(sale), rrn: text(a, 37), date: text(a, 13) });
    const r = await approved(t, refund);
    expect(r.mti).toBe('0230');
    expect(await bal(c1)).toBe(48_000);
    expect(code39(await t.send(refund))).toBe('00');
    expect(await bal(c1)).toBe(48_000);
    expect(code39(await t.send(t.request('refund', { card: p1, amount: 500, originalStan: stanOf(sale), rrn: '999999999999' })))).toBe('25');
  });

  it('pre-auth holds; completion (DE61, DE38) captures; completion void releases the capture; pre-auth void releases a hold', async () => {
    const pa = t.request('preauth', { card: p2, amount: 5_000 });
    const a = await approved(t, pa);
    expect(a.mti).toBe('0110');
    expect(await held(c2)).toBe(5_000);
    const comp = t.request('completion', { card: p2, amount: 4_000, originalStan: stanOf(pa) });
    comp.fields.set(38, text(a, 38)!);
    await approved(t, comp);
    expect(await held(c2)).toBe(0);
    expect(await bal(c2)).toBe(46_000);
    await approved(t, t.request('completion-void', { card: p2, amount: 4_000, originalStan: stanOf(comp) }));
    expect(await bal(c2)).toBe(50_000);
    const pa2 = t.request('preauth', { card: p2, amount: 2_000 });
    await approved(t, pa2);
    expect(await held(c2)).toBe(2_000);
    await approved(t, t.request('preauth-void', { card: p2, amount: 2_000, originalStan: stanOf(pa2) }));
    expect(await held(c2)).toBe(0);
  });

  it('completion advice (0220 / 24) captures its pre-auth and is idempotent when repeated', async () => {
    const pa = t.request('preauth', { card: p3, amount: 1_500 });
    await approved(t, pa);
    const adv = t.request('completion-advice', { card: p3, amount: 1_500, originalStan: stanOf(pa) });
    expect((await approved(t, adv)).mti).toBe('0230');
    expect(code39(await t.send(adv))).toBe('00');
    expect(await bal(c3)).toBe(48_500);
  });

  it('cash load credits the card', async () => {
    const a = await approved(t, t.request('load', { card: p3, amount: 1_500 }));
    expect(de54Amount(a)).toBe(50_000);
    expect(await bal(c3)).toBe(50_000);
  });

  it('points balance and points purchase answer DE54 in points (account type 90, currency 000)', async () => {
    const earn = await f.send({ merchant: 'COFFEE', terminal: 'T1', request_id: 'earn-1', type: 'points_earn', card: pts.pans[0], amount: 10_000 });
    expect(earn.body).toMatchObject({ response_code: '00' });
    const ct = await f.terminal('COFFEE', 'T1', t.conn);
    await ct.signOn();
    const b = await approved(ct, ct.request('points-balance', { card: pts.pans[0] }));
    expect(text(b, 54)).toBe('9002000C000000000300');
    const buy = await approved(ct, ct.request('points-purchase', { card: pts.pans[0], amount: 120 }));
    expect(de54Amount(buy)).toBe(180);
    await approved(ct, ct.reversalOf(ct.request('points-purchase', { card: pts.pans[0], amount: 120, stan: stanOf(buy) })));
    expect(de54Amount(await approved(ct, ct.request('points-balance', { card: pts.pans[0] })))).toBe(300);
  });

  it('reversal of each reversible type puts the card back; a sale\'s void reversed puts the sale back, a pre-auth void\'s answers 12', async () => {
    const before = await bal(c0);
    for (const [name, amount] of [['purchase', 700], ['load', 300], ['preauth', 900]] as const) {
      const m = t.request(name, { card: p0, amount });
      await approved(t, m);
      await approved(t, t.reversalOf(m));
      expect([name, await bal(c0), await held(c0)]).toEqual([name, before, 0]);
    }
    const pa = t.request('preauth', { card: p0, amount: 600 });
    await approved(t, pa);
    const comp = t.request('completion', { card: p0, amount: 600, originalStan: stanOf(pa) });
    await approved(t, comp);
    expect(await bal(c0)).toBe(before - 600);
    await approved(t, t.reversalOf(comp));
    expect(await bal(c0)).toBe(before);
    // 消费撤销冲正: the terminal never saw the void's answer, so the void never happened and the sale stands.
    const sale = t.request('purchase', { card: p0, amount: 800 });
    await approved(t, sale);
    const v = t.request('void', { card: p0, amount: 800, originalStan: stanOf(sale) });
    await approved(t, v);
    expect(await bal(c0)).toBe(before);
    await approved(t, t.reversalOf(v));
    expect(await bal(c0)).toBe(before - 800);
    await approved(t, t.reversalOf(v)); // repeated: 00, nothing more
    expect(await bal(c0)).toBe(before - 800);
    await approved(t, t.reversalOf(sale)); // the sale stands again, so it can be reversed itself
    expect(await bal(c0)).toBe(before);
    // 完成撤销冲正 likewise puts the completion back.
    const pa3 = t.request('preauth', { card: p0, amount: 300 });
    await approved(t, pa3);
    const comp3 = t.request('completion', { card: p0, amount: 300, originalStan: stanOf(pa3) });
    await approved(t, comp3);
    const cv = t.request('completion-void', { card: p0, amount: 300, originalStan: stanOf(comp3) });
    await approved(t, cv);
    expect(await bal(c0)).toBe(before);
    await approved(t, t.reversalOf(cv));
    expect([await bal(c0), await held(c0)]).toEqual([before - 300, 0]);
    await approved(t, t.reversalOf(comp3));
    expect(await bal(c0)).toBe(before);
    // A pre-auth void released its hold; its reversal does not take the hold again (12).
    const pa2 = t.request('preauth', { card: p0, amount: 400 });
    await approved(t, pa2);
    const pv = t.request('preauth-void', { card: p0, amount: 400, originalStan: stanOf(pa2) });
    await approved(t, pv);
    expect(code39(await t.send(t.reversalOf(pv)))).toBe('12');
    expect(await held(c0)).toBe(0);
  });

  it('a reversal before its original answers 00; the late original is declined 94 and moves nothing', async () => {
    const before = await bal(c1);
    const late = t.request('purchase', { card: p1, amount: 2_222 });
    expect(code39(await t.send(t.reversalOf(late)))).toBe('00');
    expect(code39(await t.send(late))).toBe('94');
    expect(await bal(c1)).toBe(before);
  });

  it('echo answers 0830 00; sign-off ends the session (then 77) and sign-on restores it', async () => {
    const e = await t.network('301');
    expect([e.mti, code39(e)]).toEqual(['0830', '00']);
    expect(code39(await t.network('002'))).toBe('00');
    expect(code39(await t.send(t.request('balance', { card: p0 })))).toBe('77');
    await t.signOn();
    expect(code39(await t.send(t.request('balance', { card: p0 })))).toBe('00');
  });

  it('a PIN block under the PIK is checked as the pin: a wrong PIN declines 55', async () => {
    await f.ctx.db.pg.query('update programs set requires_pin = true');
    const { setPin } = await import('../helpers/daemon-extra.js');
    await setPin(f.ctx, c1, '246810');
    await new Promise((r) => setTimeout(r, 5_100)); // the registry cache re-reads programs after its TTL
    expect(code39(await t.send(t.request('purchase', { card: p1, amount: 10, pin: '246810' })))).toBe('00');
    expect(code39(await t.send(t.request('purchase', { card: p1, amount: 10, pin: '111111' })))).toBe('55');
    expect(code39(await t.send(t.request('purchase', { card: p1, amount: 10 })))).toBe('55');
    await f.ctx.db.pg.query('update programs set requires_pin = false');
  });

  it('keeps the ledger verified', async () => {
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });
}, 30_000);
