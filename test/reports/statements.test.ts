import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { readSheet } from 'read-excel-file/node';
import { daemonFixture } from '../helpers/daemon.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/batch.js';
import { addMerchant, addTerminal } from '../../src/registry/merchants.js';
import { settleBusinessDate } from '../../src/settlement/settle.js';
import { writeStatements } from '../../src/reports/statements.js';
import { yuan } from '../../src/reports/people/format.js';
import { maskPan } from '../../src/cards/luhn.js';
import { withTransaction } from '../../src/db/tx.js';
import { openBusinessDate } from '../../src/ledger/business-date.js';
import { postEntries } from '../../src/ledger/post.js';
import { balancedEntry } from '../../src/ledger/entry.js';
import { account } from '../../src/ledger/accounts.js';

// 2026-03-10 (Asia/Shanghai): M1 sells twice and refunds once; the canteen 职工食堂 (M2) sells once.
const f = await daemonFixture({ cards: 2, channelMerchants: ['M1', 'M2'], setup: async (ctx) => {
  await addMerchant(ctx, { code: 'M2', name: '职工食堂', commissionBps: 100 });
  await addTerminal(ctx, { merchant: 'M2', code: 'POS-1' });
} });
const [c0, c1] = f.seed.cardIds as [number, number];
const [p0, p1] = f.seed.pans as [string, string];
const D = '2026-03-10';
f.ctx.clock.set('2026-03-10T09:00:00+08:00');
await f.fund(c0, 50_000);
await f.fund(c1, 50_000);
async function ok(body: Record<string, unknown>) {
  const r = await f.send(body);
  expect(r.body.response_code).toBe('00');
}
f.ctx.clock.set('2026-03-10T09:30:05+08:00');
await ok({ merchant: 'M1', terminal: 'T1', request_id: 's-1', type: 'purchase', card: p0, amount: 10_000 }); // f = 150
f.ctx.clock.set('2026-03-10T11:00:00+08:00');
await ok({ merchant: 'M2', terminal: 'POS-1', request_id: 's-2', type: 'purchase', card: p1, amount: 1_234 }); // f = r(12.34) = 12
f.ctx.clock.set('2026-03-10T12:15:00+08:00');
await ok({ merchant: 'M1', terminal: 'T1', request_id: 's-3', type: 'purchase', card: p1, amount: 3_333 }); // f = r(49.995) = 50
f.ctx.clock.set('2026-03-10T23:59:59+08:00');
await ok({ merchant: 'M1', terminal: 'T1', request_id: 's-4', type: 'refund', original_request_id: 's-1', amount: 4_000 }); // fx = 60
f.ctx.clock.set('2026-03-11T00:10:00+08:00');
const out = tempDir('purse-statements-');
await settleBusinessDate(f.ctx, { date: D, out: path.join(out, 'settlement') });

const BOM = '\uFEFF';
const read = (file: string) => fs.readFileSync(file);

describe('purse report statements', () => {
  it('refuses a date that is not settled, naming --date', async () => {
    await expect(writeStatements(f.ctx, { date: '2026-03-11', out })).rejects.toMatchObject({ code: 'not_settled', field: '--date' });
    await expect(writeStatements(f.ctx, { date: D, out, lang: 'fr' })).rejects.toMatchObject({ field: '--lang' });
  });

  it('writes one file per merchant holding only its own lines, zh and yuan with a BOM by default, totals and the settlement row', async () => {
    const dir = path.join(out, 'default');
    const r = await writeStatements(f.ctx, { date: D, out: dir });
    expect(r.statements.map((s) => path.basename(s.file))).toEqual([`M1-${D}.csv`, `M2-${D}.csv`]);
    const text = read(path.join(dir, `M1-${D}.csv`)).toString('utf8');
    expect(text.startsWith(BOM)).toBe(true);
    const rows = parse(text.slice(1), { relax_column_count: true }) as string[][];
    expect(rows[0]).toEqual(['时间', '类型', '终端', '卡号', '金额', '手续费', '净额']);
    expect(rows.slice(1, 5)).toEqual([
      ['2026-03-10 09:30:05+08:00', '消费', 'T1', maskPan(p0), '100.00', '1.50', '98.50'],
      ['2026-03-10 12:15:00+08:00', '消费', 'T1', maskPan(p1), '33.33', '0.50', '32.83'],
      ['2026-03-10 23:59:59+08:00', '退货', 'T1', maskPan(p0), '-40.00', '-0.60', '-39.40'],
      ['合计', '', '', '', '93.33', '1.40', '91.93'],
    ]);
    expect(text).not.toContain('POS-1');
    expect(text).not.toContain('职工食堂');
    // The settlement row, label/value lines, agrees with the totals line.
    const notes = Object.fromEntries(rows.slice(6).map(([k, v]) => [k, v]));
    expect(notes).toMatchObject({ 营业日: D, 商户: 'M1', 商户名称: 'Merchant one', 币种: 'CNY', 消费笔数: '2', 消费金额: '133.33', 退货金额: '40.00', 手续费: '1.40', 结算净额: '91.93' });
    const settled = fs.readFileSync(path.join(out, 'settlement', `merchants-${D}.csv`), 'utf8').split('\n').find((l) => l.includes(',M1,'))!;
    expect(yuan(Number(settled.split(',').at(-1)))).toBe('91.93');
    expect(r.statements[0]!.totals).toEqual([{ currency: 'CNY', amount: 9_333, commission: 140, net: 9_193 }]);
    // Nothing in the statement is a full card number.
    for (const pan of f.seed.pans) expect(text).not.toContain(pan);
  });

  it('rewrites byte-identical files on a re-run, CSV and XLSX alike', async () => {
    for (const xlsx of [false, true]) {
      const a = path.join(out, `rerun-a-${xlsx}`);
      const b = path.join(out, `rerun-b-${xlsx}`);
      await writeStatements(f.ctx, { date: D, out: a, xlsx });
      await new Promise((resolve) => setTimeout(resolve, 2100)); // past the 2 s grain of a zip's DOS time
      await writeStatements(f.ctx, { date: D, out: b, xlsx });
      for (const name of fs.readdirSync(a)) expect(read(path.join(b, name)).equals(read(path.join(a, name))), name).toBe(true);
    }
  });

  it('round-trips a Chinese merchant name through --encoding gbk', async () => {
    const dir = path.join(out, 'gbk');
    await writeStatements(f.ctx, { date: D, out: dir, encoding: 'gbk' });
    const bytes = read(path.join(dir, `M2-${D}.csv`));
    expect(bytes.includes(Buffer.from('职工食堂', 'utf8'))).toBe(false); // not UTF-8
    expect(bytes.includes(iconv.encode('职工食堂', 'gbk'))).toBe(true);
    const text = iconv.decode(bytes, 'gbk');
    expect(text).toContain('商户名称,职工食堂');
    expect(text.split('\n')[0]).toBe('时间,类型,终端,卡号,金额,手续费,净额');
  });

  it('writes English names and integer fen with --lang en --amounts fen, plain UTF-8 with --encoding utf8', async () => {
    const dir = path.join(out, 'en');
    await writeStatements(f.ctx, { date: D, out: dir, lang: 'en', amounts: 'fen', encoding: 'utf8' });
    const text = read(path.join(dir, `M2-${D}.csv`)).toString('utf8');
    expect(text.split('\n').slice(0, 3)).toEqual([
      'time,type,terminal,card,amount,commission,net',
      `2026-03-10 11:00:00+08:00,purchase,POS-1,${maskPan(p1)},1234,12,1222`,
      'total,,,,1234,12,1222',
    ]);
    expect(text).toContain('merchant_name,职工食堂\n');
  });

  it('writes an XLSX that reads back to the same numbers (numbers as numbers, a header row)', async () => {
    const dir = path.join(out, 'xlsx');
    await writeStatements(f.ctx, { date: D, out: dir, xlsx: true });
    const rows = await readSheet(path.join(dir, `M1-${D}.xlsx`));
    expect(rows[0]).toEqual(['时间', '类型', '终端', '卡号', '金额', '手续费', '净额']);
    expect(rows.slice(1, 5).map((r) => r.slice(4))).toEqual([[100, 1.5, 98.5], [33.33, 0.5, 32.83], [-40, -0.6, -39.4], [93.33, 1.4, 91.93]]);
    expect(rows[4]![0]).toBe('合计');
    const notes = Object.fromEntries(rows.slice(6).map((r) => [r[0], r[1]]));
    expect(notes).toMatchObject({ 商户: 'M1', 消费笔数: 2, 结算净额: 91.93 });
  });

  it('streams a merchant with more lines than one page, in time order, each once', async () => {
    const D2 = '2026-03-11';
    f.ctx.clock.set('2026-03-11T09:00:00+08:00');
    const n = 5_003;
    await withTransaction(f.ctx.db.pg, async (c) => {
      const d = await openBusinessDate(c, f.ctx.clock.now(), f.ctx.calendar);
      // Three lines share each second: the page boundary falls inside a run of equal times.
      await postEntries(c, d, Array.from({ length: n }, (_, i) => balancedEntry('lottery_prize', [
        { account: account.merchant(f.merchantId), asset: 'CNY', amount: i + 1 },
        { account: account.revenue('lottery'), asset: 'CNY', amount: -(i + 1) },
      ], { occurredAt: new Date(Date.parse('2026-03-11T01:00:00Z') + Math.floor(i / 3) * 1000), merchantId: f.merchantId })));
    });
    f.ctx.clock.set('2026-03-12T00:10:00+08:00');
    await settleBusinessDate(f.ctx, { date: D2, out: path.join(out, 'settlement') });
    const dir = path.join(out, 'paged');
    const r = await writeStatements(f.ctx, { date: D2, out: dir, amounts: 'fen', lang: 'en' });
    expect(r.statements).toEqual([{ merchant: 'M1', file: path.join(dir, `M1-${D2}.csv`), lines: n, totals: [{ currency: 'CNY', amount: n * (n + 1) / 2, commission: 0, net: n * (n + 1) / 2 }] }]);
    const rows = parse(read(r.statements[0]!.file).toString('utf8').slice(1), { relax_column_count: true }) as string[][];
    expect(rows[0]![0]).toBe('time');
    expect(rows.slice(1, n + 1).map((x) => Number(x[6]))).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(rows[n + 1]).toEqual(['total', '', '', '', String(n * (n + 1) / 2), '0', String(n * (n + 1) / 2)]);
    expect(rows.filter((x) => x[0] === 'time')).toHaveLength(1);
  });

  it('runs from the CLI and prints where each statement went', async () => {
    const dir = path.join(out, 'cli');
    const r = await runCli(['report', 'statements', '--date', D, '--out', dir, '--json'], f.ctx.env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).statements.map((s: { merchant: string }) => s.merchant)).toEqual(['M1', 'M2']);
    const bad = await runCli(['report', 'statements', '--date', D, '--out', dir, '--encoding', 'latin1'], f.ctx.env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--encoding must be one of utf8-bom, utf8, gbk');
  });
});
