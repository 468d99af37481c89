import { describe, expect, it } from 'vitest';
import { isoFixture, code39 } from '../helpers/iso.js';
import { addTerminal } from '../../src/registry/merchants.js';
import { text } from '../../src/iso/codec.js';
import { buildFrame } from '../../src/iso/frame.js';
import { encodePinBlock, x919Mac } from '../../src/iso/crypto.js';
import { macBlock } from '../../src/iso/frontend.js';
import { setTerminalKey } from '../../src/iso/terminal-keys.js';
import { TMK } from '../helpers/iso.js';
import { verifyLedger } from '../../src/ledger/verify.js';

// The listener's wire behaviour: many terminals and requests in flight on one connection, keep-alive,
// unparsable frames, unknown terminals, the deadline, metrics, and no card data in debug logs.
const TERMINALS = Array.from({ length: 20 }, (_, i) => `T${String(i + 1).padStart(2, '0')}`);
const f = await isoFixture({
  cards: 20, keyed: TERMINALS.map((t) => ['M1', t] as [string, string]),
  setup: async (ctx) => { for (const t of TERMINALS) await addTerminal(ctx, { merchant: 'M1', code: t }); },
});
for (const c of f.seed.cardIds) await f.fund(c, 10_000);

describe('ISO listener on the wire', () => {
  it('200 requests in flight on one connection from 20 terminals are each answered correctly, however they interleave', async () => {
    const conn = await f.connect();
    const terms = await Promise.all(TERMINALS.map((code) => f.terminal('M1', code, conn)));
    await Promise.all(terms.map((t) => t.signOn()));
    const sent = terms.flatMap((t, i) => Array.from({ length: 10 }, (_, k) => ({ t, i, amount: 10 * (i + 1) + k, m: t.request('purchase', { card: f.seed.pans[i], amount: 10 * (i + 1) + k }) })));
    const answers = await Promise.all(sent.map((s) => s.t.send(s.m)));
    answers.forEach((a, n) => {
      const s = sent[n]!;
      expect([code39(a), text(a, 41)!.trim(), text(a, 11), Number(text(a, 4))]).toEqual(['00', s.t.terminal, text(s.m, 11), s.amount]);
    });
    expect(new Set(answers.map((a) => text(a, 37))).size).toBe(200);
    for (const [i, id] of f.seed.cardIds.entries()) {
      const spent = Array.from({ length: 10 }, (_, k) => 10 * (i + 1) + k).reduce((x, y) => x + y, 0);
      expect((await f.balance(id)).balance).toBe(10_000 - spent);
    }
  });

  it('a keep-alive gets no answer; an unknown terminal or merchant answers 58', async () => {
    const t = await f.terminal('M1', 'T01');
    t.conn.raw(Buffer.from('00056000000000', 'hex'));
    await t.signOn();
    expect(t.conn.unmatched).toEqual([]);
    const stranger = await f.terminal('M1', 'NOPE', t.conn);
    expect(code39(await stranger.signOn())).toBe('58');
    const foreign = await f.terminal('M9', 'T01', t.conn);
    expect(code39(await foreign.send(foreign.request('balance', { card: f.seed.pans[0] })))).toBe('58');
  });

  it('an unparsable frame closes that connection only; the listener keeps serving', async () => {
    const bad = await f.connect();
    const pan = f.seed.pans[0]!;
    // A 0200 whose bitmap announces DE2 and DE3 but ends inside DE3, with a card number in DE2.
    const body = Buffer.concat([Buffer.from('02006000000000000000', 'hex'), Buffer.from(`19${pan}0`, 'hex'), Buffer.from('00', 'hex')]);
    bad.raw(buildFrame(Buffer.from('6000030000', 'hex'), Buffer.from('603100310208', 'hex'), body));
    await bad.closed;
    const t = await f.terminal('M1', 'T02');
    expect(code39(await t.signOn())).toBe('00');
    expect(f.logs.join('')).toMatch(/ISO frame cannot be parsed/);
  });

  it('a request not decided within the authorization deadline gets no answer; the terminal\'s reversal then answers 00', async () => {
    const t = await f.terminal('M1', 'T03');
    t.stanFrom(500); // STANs 1–11 of T03 were used by the first test
    await t.signOn();
    const before = (await f.balance(f.seed.cardIds[2]!)).balance;
    f.ctx.config.authDeadlineMs = 0;
    const m = t.request('purchase', { card: f.seed.pans[2], amount: 77 });
    await expect(t.send(m, { timeoutMs: 1_500 }).then(() => 'answered').catch(() => 'none')).resolves.toBe('none');
    f.ctx.config.authDeadlineMs = 5_000;
    expect(code39(await t.send(t.reversalOf(m)))).toBe('00');
    expect((await f.balance(f.seed.cardIds[2]!)).balance).toBe(before);
  });

  it('GET /metrics counts ISO requests by MTI and DE39 and the open connections', async () => {
    const text = await (await fetch(`${f.daemon.url}/metrics`)).text();
    expect(text).toMatch(/purse_iso_requests_total\{mti="0200",response_code="00"\} \d+/);
    expect(text).toMatch(/purse_iso_requests_total\{mti="0800",response_code="58"\} 1/);
    expect(text).toMatch(/purse_iso_connections_open \d+/);
    expect(text).toMatch(/purse_iso_frame_errors_total 1/);
  });

  it('no card number, track 2 or PIN block in any debug log line', async () => {
    const t = await f.terminal('M1', 'T04');
    t.stanFrom(500);
    await t.signOn();
    const pan = f.seed.pans[3]!;
    const track = `${pan}=29121010000`;
    const m = t.request('purchase', { amount: 5, pin: '123456' });
    m.fields.set(35, track);
    const block = encodePinBlock(t.pik!, '123456', pan);
    m.fields.set(52, block);
    m.fields.set(53, '2600000000000000');
    expect(code39(await t.send(m))).toBe('00');
    const all = f.logs.join('');
    expect(all).toContain('"level":20');
    for (const secret of [pan, track, track.replace('=', 'D'), block.toString('hex'), block.toString('hex').toUpperCase(), block.toString('base64')]) expect(all.includes(secret)).toBe(false);
  });

  it('a terminal set to X9.19 is answered with X9.19 MACs; a CUP MAC from it answers A0', async () => {
    await setTerminalKey(f.ctx, { merchant: 'M1', code: 'T05', tmk: TMK, macAlg: 'x919' });
    const t = await f.terminal('M1', 'T05');
    t.stanFrom(500);
    t.macAlg = 'x919';
    await t.signOn();
    const a = await t.send(t.request('balance', { card: f.seed.pans[4] }));
    expect(code39(a)).toBe('00');
    expect(a.fields.get(64)).toEqual(x919Mac(t.mak!, macBlock(a)));
    t.macAlg = 'cup';
    expect(code39(await t.send(t.request('balance', { card: f.seed.pans[4] })))).toBe('A0');
  });

  it('an idle connection is closed after the idle timeout', async () => {
    f.ctx.config.isoIdleSeconds = 1;
    const c = await f.connect();
    const started = Date.now();
    await c.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    f.ctx.config.isoIdleSeconds = 300;
  });

  it('keeps the ledger verified', async () => {
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });
});
