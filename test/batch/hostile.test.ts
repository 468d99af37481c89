import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { issuePans, loadCli, readRejects, tempDir } from '../helpers/batch.js';
import { addIssuer } from '../../src/registry/issuers.js';
import { addProgram } from '../../src/registry/programs.js';
import { maskPan } from '../../src/cards/luhn.js';
import { panToken } from '../../src/cards/vault.js';
import { verifyLedger } from '../../src/ledger/verify.js';

const ctx = await testContext();
const dir = tempDir();
await addIssuer(ctx, { code: 'ISS', name: 'Issuer' });
await addProgram(ctx, { code: 'SV', issuer: 'ISS', bin: '622000', activateOnIssue: true });
const [a, b, c] = (await issuePans(ctx, dir, 'SV', 3, 'B1')) as [string, string, string];
const balance = async (pan: string) => (await ctx.db.pg.query<{ balance: number }>(
  'select a.balance from card_accounts a join cards c on c.id = a.card_id where c.pan_token = $1', [panToken(ctx.keys, pan)])).rows[0]!.balance;
const fullWidth = (s: string) => s.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d)));

// line → [text, expected reason, expected card cell]
const HOSTILE: [string, string, string][] = [
  [`${b},100`, 'column_count', maskPan(b)],
  [`${b},100,H-3,extra`, 'column_count', maskPan(b)],
  [`"${b},100,H-4`, 'malformed_csv', ''],
  [`${b},1e3,H-5`, 'invalid_amount', maskPan(b)],
  [`${b},-5,H-6`, 'invalid_amount', maskPan(b)],
  [`${b},0.5,H-7`, 'invalid_amount', maskPan(b)],
  [`${b},${fullWidth('100')},H-8`, 'invalid_amount', maskPan(b)],
  [`${fullWidth(b)},100,H-9`, 'invalid_card', ''],
  [`${b},10\u00000,H-10`, 'invalid_character', ''],
  [`${b},${'1'.repeat(10 * 1024 * 1024)},H-11`, 'line_too_long', ''],
  [`${b},100,x'); drop table cards; --`, 'invalid_reference', maskPan(b)],
  [`'; delete from load_references; --,100,H-13`, 'invalid_card', ''],
  [`${b},100,=HYPERLINK("http://x")`, 'malformed_csv', ''],
  [`${b}, 100,H-15`, 'invalid_amount', maskPan(b)],
  [`${b},100000000000000000000,H-16`, 'invalid_amount', maskPan(b)],
];

describe('purse cards load: hostile rows', () => {
  it('rejects each hostile row with its reason, without crashing or touching the valid rows', async () => {
    const file = path.join(dir, 'hostile.csv');
    const lines = [
      'card,amount,reference',
      `${a},100,H-1`,
      ...HOSTILE.map(([text]) => text),
      `"${c}","200","H-17"`,
      `${a},50,H-18`,
    ];
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const r = await loadCli(ctx, file, ['--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ lines: HOSTILE.length + 3, applied: { count: 3, amount: 350 }, rejected: { count: HOSTILE.length } });
    const rejects = readRejects(file);
    expect(rejects.map((x) => [x.line, x.reason, x.card])).toEqual(HOSTILE.map(([, reason, card], i) => [i + 3, reason, card]));
    for (const x of rejects) expect(x.message.length, `line ${x.line}`).toBeGreaterThan(10);
    expect([await balance(a), await balance(b), await balance(c)]).toEqual([150, 0, 200]);
    // Nothing hostile reached the database as SQL.
    const { rows } = await ctx.db.pg.query(`select count(*)::int as n from cards`);
    expect(rows[0].n).toBe(3);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('writes no full card number into the rejects file or the output, and masks as first 6 and last 4', async () => {
    const file = path.join(dir, 'hostile.csv');
    const text = fs.readFileSync(`${file}.rejects.csv`, 'utf8');
    expect(text.split('\n')[0]).toBe('line,card,reference,reason,message');
    for (const pan of [a, b, c]) expect(text).not.toContain(pan);
    expect(text).not.toMatch(/\d{13,}/);
    for (const x of readRejects(file)) expect(x.card).toMatch(/^(622000\*{6}\d{4})?$/);
    const r = await loadCli(ctx, file);
    for (const pan of [a, b, c]) expect(r.stdout + r.stderr).not.toContain(pan);
  });

  it('masks a reference that carries a card number and makes formula-like cells inert', async () => {
    const file = path.join(dir, 'cells.csv');
    fs.writeFileSync(file, `card,amount,reference\n${b},0,PAN${b}\n${b},-1,=1+2\n-${b},100,H-3\n`);
    const r = await loadCli(ctx, file);
    expect(r.code).toBe(1);
    const text = fs.readFileSync(`${file}.rejects.csv`, 'utf8');
    expect(text).not.toContain(b);
    expect(text).toContain(`PAN${maskPan(b)}`);
    expect(text).not.toMatch(/(^|,)[=+\-@]/m);
  });

  it('treats 10 MB of data on one line as one over-long line', async () => {
    const file = path.join(dir, 'oneline.csv');
    fs.writeFileSync(file, `card,amount,reference\n${'9'.repeat(10 * 1024 * 1024)}\n`);
    const r = await loadCli(ctx, file, ['--json']);
    expect(r.code).toBe(1);
    expect(readRejects(file).map((x) => [x.line, x.reason])).toEqual([[2, 'line_too_long']]);
  });
});
