import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isoFixture, code39, TMK } from '../helpers/iso.js';
import { runCli } from '../helpers/cli.js';
import { text, type IsoMessage } from '../../src/iso/codec.js';
import { listPosBatches } from '../../src/iso/batches.js';
import { settleBusinessDate } from '../../src/settlement/settle.js';
import { verifyLedger } from '../../src/ledger/verify.js';

// Terminal batch settlement (0500/0510), batch uploads (0320), `purse report pos-batches`, and the
// day's settlement files against the ISO traffic. Clock: 2026-03-10 10:00 Shanghai.
const D = '2026-03-10';
const f = await isoFixture({ cards: 2 });
const [c0, c1] = f.seed.cardIds as [number, number];
const [p0, p1] = f.seed.pans as [string, string];
await f.fund(c0, 50_000);
await f.fund(c1, 50_000);
const t = await f.terminal();
await t.signOn();
const stanOf = (m: IsoMessage) => Number(text(m, 11));
const ok = async (m: IsoMessage) => {
  const a = await t.send(m);
  expect(code39(a)).toBe('00');
  return a;
};

describe('terminal batches', () => {
  it('a balanced 0500 answers 0510 with code 1, closes the batch and opens the next number (old batch then 77)', async () => {
    // debits: 10000 + 20000 (voided: out) + 5000 (reversed: out) + 3000 load + 4000 completion = 17000 in 3; credits: refund 1000.
    const first = t.request('purchase', { card: p0, amount: 10_000 });
    const a = await ok(first);
    const voided = t.request('purchase', { card: p0, amount: 20_000 });
    await ok(voided);
    await ok(t.request('void', { card: p0, amount: 20_000, originalStan: stanOf(voided) }));
    const reversed = t.request('purchase', { card: p1, amount: 5_000 });
    await ok(reversed);
    await ok(t.reversalOf(reversed));
    await ok(t.request('load', { card: p1, amount: 3_000 }));
    const pa = t.request('preauth', { card: p1, amount: 4_000 });
    await ok(pa);
    await ok(t.request('completion', { card: p1, amount: 4_000, originalStan: stanOf(pa) }));
    await ok(t.request('refund', { card: p0, amount: 1_000, originalStan: stanOf(first), rrn: text(a, 37) }));
    const s = await t.send(t.settlement(17_000, 3, 1_000, 1), { mac: false });
    expect([s.mti, code39(s), text(s, 48)]).toEqual(['0510', '00', '000000017000003000000001000001' + '1']);
    expect(s.fields.has(64)).toBe(false); // the 0500 carried no MAC
    expect(code39(await t.send(t.request('balance', { card: p0 })))).toBe('77');
    t.batch = 2;
    expect(code39(await t.send(t.request('balance', { card: p0 })))).toBe('00');
    const repeat = t.settlement(17_000, 3, 1_000, 1);
    repeat.fields.set(60, '00000001201');
    expect(text(await t.send(repeat), 48)).toBe('0000000170000030000000010000011'); // a lost 0510: the stored result again
  });

  it('an unbalanced 0500 answers code 2; batch uploads are acknowledged (MACed when MACed), repeats too, and kept', async () => {
    await ok(t.request('purchase', { card: p0, amount: 2_500 }));
    const s = await t.send(t.settlement(9_999, 1, 0, 0));
    expect(text(s, 48)!.at(-1)).toBe('2');
    const up = t.upload(`01${'0'.repeat(40)}`);
    up.fields.set(60, '00000002201');
    const a = await t.send(up);
    expect([a.mti, code39(a)]).toEqual(['0330', '00']);
    expect(a.fields.has(64)).toBe(true);
    expect(code39(await t.send(up))).toBe('00');
    const end = t.upload('0001', '202');
    end.fields.set(60, '00000002202');
    expect(code39(await t.send(end))).toBe('00');
    const batches = await listPosBatches(f.ctx, D);
    expect(batches.map((b) => [b.batch, b.debit_amount, b.debit_count, b.credit_amount, b.credit_count, b.balanced])).toEqual([
      [1, 17_000, 3, 1_000, 1, true], [2, 2_500, 1, 0, 0, false], [3, 0, 0, 0, 0, null]]);
    expect(batches[0]).toMatchObject({ merchant: 'M1', terminal: 'T1', opened_at: expect.stringMatching(/^2026-03-10T10:00:00\+08:00$/) });
    const { rows } = await f.ctx.db.pg.query('select batch, network_code, items, detail_hash from iso_batch_uploads order by stan');
    expect(rows.map((r: { batch: number; network_code: string; items: number }) => [r.batch, r.network_code, r.items])).toEqual([[2, '201', 1], [2, '202', 0]]);
    expect(rows.every((r: { detail_hash: Buffer }) => r.detail_hash.length === 32)).toBe(true);
  });

  it('purse report pos-batches --json lists the batches; --date of another day none; purse terminal set-key prints the check value', async () => {
    const r = await runCli(['report', 'pos-batches', '--date', D, '--json'], f.ctx.env);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(Object.keys(rows[0]!).sort()).toEqual(['balanced', 'batch', 'closed_at', 'credit_amount', 'credit_count', 'debit_amount', 'debit_count', 'merchant', 'opened_at', 'terminal']);
    expect(JSON.parse((await runCli(['report', 'pos-batches', '--date', '2026-03-09', '--json'], f.ctx.env)).stdout)).toEqual([]);
    expect((await runCli(['report', 'pos-batches', '--date', '2026-13-09'], f.ctx.env)).code).toBe(1);
    const k = await runCli(['terminal', 'set-key', '--merchant', 'M1', '--code', 'T1', '--json'], f.ctx.env, `${TMK}\n`);
    expect(k.code).toBe(0);
    expect(JSON.parse(k.stdout)).toEqual({ merchant: 'M1', terminal: 'T1', check_value: '47F81683', mac: 'cup' }); // = openssl enc -des-ede-ecb of 8 zero bytes
    const bad = await runCli(['terminal', 'set-key', '--merchant', 'M1', '--code', 'T1'], f.ctx.env, 'not-hex\n');
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringMatching(/32 hexadecimal/)]);
    expect(k.stdout + k.stderr).not.toContain(TMK);
  });

  it('the day\'s settlement files count the ISO traffic: merchant purchases, refunds and loads, channel transactions', async () => {
    f.ctx.clock.set('2026-03-11T00:05:00+08:00');
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-iso-settle-'));
    await settleBusinessDate(f.ctx, { date: D, out });
    const merchants = fs.readFileSync(path.join(out, `merchants-${D}.csv`), 'utf8').split('\n');
    // purchases: 10000, 20000 (voided), 2500 (reversed 5000 not counted); completion 4000 is a purchase too.
    const m1 = merchants.find((l) => l.includes(',M1,'))!.split(',');
    const head = merchants[0]!.split(',');
    const col = (name: string) => Number(m1[head.indexOf(name)]);
    expect([col('refund_count'), col('refund_amount'), col('load_count'), col('load_amount')]).toEqual([1, 1_000, 1, 3_000]);
    // Net of voids and reversals, as the terminal batches counted them: 10000 + 4000 (completion) + 2500.
    const batches = await listPosBatches(f.ctx, D);
    expect([col('purchase_count'), col('purchase_amount')]).toEqual([3, 16_500]);
    expect(col('purchase_amount') + col('load_amount')).toBe(batches.reduce((s, b) => s + b.debit_amount, 0));
    expect(col('refund_amount')).toBe(batches.reduce((s, b) => s + b.credit_amount, 0));
    const channels = fs.readFileSync(path.join(out, `channels-${D}.csv`), 'utf8').split('\n');
    expect(channels.find((l) => l.includes(',CH,'))).toBeDefined();
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });
});
