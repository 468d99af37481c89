import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { readSheet } from 'read-excel-file/node';
import { testContext } from '../helpers/db.js';
import { fundCards, seedBasics } from '../helpers/seed.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/batch.js';
import { withTransaction } from '../../src/db/tx.js';
import { openBusinessDate } from '../../src/ledger/business-date.js';
import { postEntries } from '../../src/ledger/post.js';
import { balancedEntry } from '../../src/ledger/entry.js';
import { account } from '../../src/ledger/accounts.js';

const ctx = await testContext();
ctx.clock.set('2026-03-10T10:00:00+08:00');
const seed = await seedBasics(ctx, 2);
await fundCards(ctx, seed, 12_345);
await withTransaction(ctx.db.pg, async (c) => {
  await postEntries(c, await openBusinessDate(c, ctx.clock.now(), ctx.calendar), [balancedEntry('card_fee', [
    { account: account.issuer(seed.issuerId), asset: 'CNY', amount: -505 }, { account: account.revenue('card_fees'), asset: 'CNY', amount: 505 },
  ], { occurredAt: ctx.clock.now() })]);
});
const dir = tempDir('purse-people-');

describe('reports written for people', () => {
  it('liability prints CSV with --csv, and writes GBK with Chinese names and yuan to --out', async () => {
    const csv = await runCli(['report', 'liability', '--as-of', '2026-03-10', '--csv'], ctx.env);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout.split('\n').slice(0, 2)).toEqual([
      'issuer,program,asset,kind,scheme,cards,outstanding,0-30,31-90,91-180,181-365,366+',
      'ISS,SV,CNY,value,,2,24690,24690,0,0,0,0',
    ]);
    const file = path.join(dir, 'liability.csv');
    const r = await runCli(['report', 'liability', '--as-of', '2026-03-10', '--out', file, '--encoding', 'gbk', '--lang', 'zh', '--amounts', 'yuan'], ctx.env);
    expect(r.code, r.stderr).toBe(0);
    const text = iconv.decode(fs.readFileSync(file), 'gbk');
    expect(text.split('\n').slice(0, 2)).toEqual([
      '发卡机构,卡产品,资产,类别,积分方案,卡数,未用余额,0-30天,31-90天,91-180天,181-365天,366天以上',
      'ISS,SV,CNY,value,,2,246.90,246.90,0.00,0.00,0.00,0.00',
    ]);
  });

  it('revenue writes an XLSX that reads back to the same numbers, and a CSV with a BOM by default', async () => {
    const xlsx = path.join(dir, 'revenue.xlsx');
    const r = await runCli(['report', 'revenue', '--month', '2026-03', '--out', xlsx, '--xlsx', '--amounts', 'yuan'], ctx.env);
    expect(r.code, r.stderr).toBe(0);
    const rows = await readSheet(xlsx);
    expect(rows[0]!.slice(0, 5)).toEqual(['business_date', 'currency', 'merchant_commission', 'channel_fees', 'card_fees']);
    expect(rows[1]!.slice(0, 5)).toEqual(['2026-03-10', 'CNY', 0, 0, 5.05]);
    const csv = path.join(dir, 'revenue.csv');
    expect((await runCli(['report', 'revenue', '--month', '2026-03', '--out', csv], ctx.env)).code).toBe(0);
    const bytes = fs.readFileSync(csv);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3).toString('utf8').split('\n')[1]).toBe('2026-03-10,CNY,0,0,505,0,0,0,0,0,505');
  });

  it('transactions take --lang zh on stdout; --xlsx needs --out; --json does not combine with options for people', async () => {
    const noOut = await runCli(['report', 'transactions', '--xlsx'], ctx.env);
    expect(noOut.code).toBe(1);
    expect(noOut.stderr).toContain('--out');
    const both = await runCli(['report', 'fees', '--from', '2026-03-10', '--to', '2026-03-10', '--json', '--lang', 'zh'], ctx.env);
    expect(both.code).toBe(1);
    const zh = await runCli(['report', 'transactions', '--lang', 'zh', '--encoding', 'utf8'], ctx.env);
    expect(zh.code, zh.stderr).toBe(0);
    expect(zh.stdout.split('\n')[0]).toMatch(/^编号,营业日,时间,渠道/);
  });
});
