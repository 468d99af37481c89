import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { testContext } from '../helpers/db.js';
import { loadCli, readPersonalization, readRejects, tempDir } from '../helpers/batch.js';
import { addIssuer } from '../../src/registry/issuers.js';
import { addProgram } from '../../src/registry/programs.js';
import { issueCards } from '../../src/cards/issue.js';
import { luhnCheckDigit } from '../../src/cards/luhn.js';
import { verifyLedger } from '../../src/ledger/verify.js';

// Two issuers with the same cards and the same payroll file: issuer A's in UTF-8 with card
// numbers and English headers, issuer B's as an HR system writes it — GBK, Chinese headers,
// card ids. Both must load alike: the same rows applied, the same rejects.
const ctx = await testContext();
const dir = tempDir('purse-hr-');
const cards: Record<'A' | 'B', { pan: string; cardId: number }[]> = { A: [], B: [] };
for (const [x, bin] of [['A', '622000'], ['B', '622001']] as const) {
  await addIssuer(ctx, { code: `HR${x}`, name: `Issuer ${x}` });
  await addProgram(ctx, { code: `PAY${x}`, issuer: `HR${x}`, bin, activateOnIssue: true, maxBalance: 10_000 });
  const out = path.join(dir, `PAY${x}.csv`);
  await issueCards(ctx, { program: `PAY${x}`, count: 4, batch: 'B1', out });
  cards[x] = readPersonalization(out);
}
const unknownPan = (() => { const body = '622000999999999'; return body + luhnCheckDigit(body); })();

// [card index or 'unknown', amount, reference]
const ROWS: [number | 'unknown', string, string][] = [
  [0, '3000', '工资2026年3月001'],
  [1, '2500', '工资2026年3月002'],
  [2, 'abc', '工资2026年3月003'],
  ['unknown', '100', '工资2026年3月004'],
  [3, '9000', '工资2026年3月005'],
  [3, '2000', '工资2026年3月006'], // above the program maximum after the row before
  [1, '100', '工资2026年3月002'], // the reference again: the first occurrence wins
  [0, '1', '奖金 有空格'], // a space is not allowed in a reference
];

function file(x: 'A' | 'B'): string {
  const header = x === 'A' ? 'card,amount,reference' : '卡片ID,金额,流水号';
  const lines = ROWS.map(([i, amount, ref]) => {
    const card = i === 'unknown' ? (x === 'A' ? unknownPan : '999999') : x === 'A' ? cards.A[i]!.pan : String(cards.B[i]!.cardId);
    return `${card},${amount},${ref}`;
  });
  const text = `${[header, ...lines].join('\r\n')}\r\n`;
  const name = path.join(dir, `payroll-${x}.csv`);
  fs.writeFileSync(name, x === 'A' ? Buffer.from(text, 'utf8') : iconv.encode(text, 'gbk'));
  return name;
}

const balances = async (x: 'A' | 'B') => (await ctx.db.pg.query<{ balance: number }>(
  'select balance from card_accounts where card_id = any($1::bigint[]) order by card_id', [cards[x].map((c) => c.cardId)])).rows.map((r) => r.balance);

describe('purse cards load: files from HR systems', () => {
  it('loads a GBK file with Chinese headers and card ids exactly as the UTF-8 file with card numbers', async () => {
    const a = file('A');
    const b = file('B');
    expect(fs.readFileSync(b).includes(Buffer.from('流水号', 'utf8'))).toBe(false); // really GBK
    const ra = await loadCli(ctx, a, ['--json']);
    const rb = await loadCli(ctx, b, ['--json']); // encoding detected
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    const sa = JSON.parse(ra.stdout);
    const sb = JSON.parse(rb.stdout);
    expect(sa).toMatchObject({ encoding: 'utf8', card_column: 'card' });
    expect(sb).toMatchObject({ encoding: 'gbk', card_column: 'card_id' });
    const same = (s: Record<string, unknown>) => ({ ...s, file: undefined, rejects_file: undefined, encoding: undefined, card_column: undefined });
    expect(same(sb)).toEqual(same(sa));
    expect(sa).toMatchObject({ lines: 8, applied: { count: 3, amount: 14_500 }, rejected: { count: 5 } });
    expect(await balances('B')).toEqual(await balances('A'));
    expect(await balances('A')).toEqual([3000, 2500, 0, 9000]);

    const rejA = readRejects(a);
    const rejB = readRejects(b);
    expect(rejB.map((r) => [r.line, r.reason, r.reference])).toEqual(rejA.map((r) => [r.line, r.reason, r.reference]));
    expect(rejA.map((r) => [r.line, r.reason, r.reference])).toEqual([
      [4, 'invalid_amount', '工资2026年3月003'],
      [5, 'unknown_card', '工资2026年3月004'],
      [7, 'exceeds_max_balance', '工资2026年3月006'],
      [8, 'duplicate_reference', '工资2026年3月002'],
      [9, 'invalid_reference', ''],
    ]);
    // Rejects show card ids as written, card numbers only masked.
    expect(rejB[1]!.card).toBe('card_id:999999');
    expect(rejA[1]!.card).toBe('622000******' + unknownPan.slice(-4));
    expect(fs.readFileSync(`${a}.rejects.csv`, 'utf8')).not.toContain(unknownPan);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);

    // A re-run of either applies nothing twice.
    const again = JSON.parse((await loadCli(ctx, b, ['--json', '--encoding', 'gbk'])).stdout);
    expect(again).toMatchObject({ applied: { count: 0 }, already_applied: { count: 3, amount: 14_500 } });
  });

  it('masks a card number put in a card_id column and refuses an unknown header or encoding', async () => {
    const f1 = path.join(dir, 'pan-in-id.csv');
    fs.writeFileSync(f1, `card_id,amount,reference\n${cards.A[0]!.pan},1,X-1\n${cards.A[0]!.cardId},1,X-2\n`);
    const r = await loadCli(ctx, f1, ['--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(readRejects(f1).map((x) => [x.reason, x.card])).toEqual([['invalid_card', `622000******${cards.A[0]!.pan.slice(-4)}`]]);
    expect(fs.readFileSync(`${f1}.rejects.csv`, 'utf8')).not.toContain(cards.A[0]!.pan);
    const f2 = path.join(dir, 'bad-header.csv');
    fs.writeFileSync(f2, iconv.encode('卡号,数额,流水号\n', 'gbk'));
    const bad = await loadCli(ctx, f2);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('卡号,金额,流水号');
    expect((await loadCli(ctx, f2, ['--encoding', 'big5'])).code).toBe(1);
  });

  it('reads the HR examples in batches/examples (UTF-8 card numbers, GBK card ids): headers, encodings and control totals hold', async () => {
    for (const [name, encoding, column] of [['load-hr-EXISS-2026-11.csv', 'utf8', 'card'], ['load-hr-EXISS-2026-11-gbk.csv', 'gbk', 'card_id']] as const) {
      const copy = path.join(dir, name);
      fs.copyFileSync(path.resolve(import.meta.dirname, '../../batches/examples', name), copy);
      const r = await loadCli(ctx, copy, ['--dry-run', '--json']);
      const summary = JSON.parse(r.stdout);
      expect(summary, name).toMatchObject({ dry_run: true, encoding, card_column: column, lines: 3, total: 33_800, control: [{ count: 3, total: 33_800 }] });
      expect(summary.applied.count + summary.rejected.count, name).toBe(3);
    }
    // The example card numbers belong to another database: unknown here, shown masked, with their Chinese references.
    expect(readRejects(path.join(dir, 'load-hr-EXISS-2026-11.csv')).map((x) => [x.card, x.reason, x.reference])).toEqual([
      ['999999******0096', 'unknown_card', '工资2026年11月0001'],
      ['999999******8307', 'unknown_card', '工资2026年11月0002'],
      ['999999******5114', 'unknown_card', '餐补2026年11月0003'],
    ]);
  });
});
