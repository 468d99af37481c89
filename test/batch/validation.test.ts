import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { issuePans, loadCli, loadState, readRejects, tempDir, writeLoadFile } from '../helpers/batch.js';
import { addIssuer } from '../../src/registry/issuers.js';
import { addProgram } from '../../src/registry/programs.js';
import { luhnCheckDigit } from '../../src/cards/luhn.js';
import { panToken } from '../../src/cards/vault.js';
import { verifyLedger } from '../../src/ledger/verify.js';

const ctx = await testContext();
const dir = tempDir();
await addIssuer(ctx, { code: 'ISS', name: 'Issuer' });
await addIssuer(ctx, { code: 'ISS2', name: 'Other issuer' });
await addProgram(ctx, { code: 'SV', issuer: 'ISS', bin: '622000', activateOnIssue: true });
await addProgram(ctx, { code: 'SV2', issuer: 'ISS2', bin: '622100', activateOnIssue: true });
await addProgram(ctx, { code: 'ONCE', issuer: 'ISS', bin: '622200', activateOnIssue: true, reloadable: false });
await addProgram(ctx, { code: 'LATER', issuer: 'ISS', bin: '622300' });
const sv = await issuePans(ctx, dir, 'SV', 12, 'B1');
const [sv2] = await issuePans(ctx, dir, 'SV2', 1, 'B1');
const [once] = await issuePans(ctx, dir, 'ONCE', 1, 'B1');
const [issued] = await issuePans(ctx, dir, 'LATER', 1, 'B1');
const setCard = (pan: string, sql: string) => ctx.db.pg.query(`update cards set ${sql} where pan_token = $1`, [panToken(ctx.keys, pan)]);
const balance = async (pan: string) => (await ctx.db.pg.query<{ balance: number }>(
  'select a.balance from card_accounts a join cards c on c.id = a.card_id where c.pan_token = $1', [panToken(ctx.keys, pan)])).rows[0]!.balance;
/** A Luhn-valid PAN in the BIN that no card has. */
const unknownPan = () => { const body = '622000999999999'; return body + luhnCheckDigit(body); };

describe('purse cards load: per-row validation', () => {
  it('applies the valid rows and rejects each invalid one with its reason code', async () => {
    const [ok1, ok2, frozen, expired, full] = sv as [string, string, string, string, string];
    await setCard(frozen, `status = 'frozen'`);
    await setCard(expired, `expiry_date = date '2020-01-31'`);
    const badLuhn = ok1.slice(0, 15) + String((Number(ok1[15]) + 1) % 10);
    const file = writeLoadFile(dir, 'validation.csv', [
      [ok1, 1000, 'V-1'],
      [badLuhn, 1000, 'V-2'],
      [unknownPan(), 1000, 'V-3'],
      [once!, 1000, 'V-4'],
      [issued!, 1000, 'V-5'],
      [frozen, 1000, 'V-6'],
      [expired, 1000, 'V-7'],
      [ok2, 0, 'V-8'],
      [full, 60_000, 'V-9'],
      [full, 40_001, 'V-10'],
      [ok2, 2500, 'V-11'],
      [ok2, 1, 'bad reference!'],
    ]);
    const r = await loadCli(ctx, file, ['--json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ lines: 12, applied: { count: 3, amount: 63_500 }, already_applied: { count: 0 }, rejected: { count: 9 } });
    expect(readRejects(file).map((x) => [x.line, x.reason])).toEqual([
      [3, 'luhn_failed'], [4, 'unknown_card'], [5, 'not_reloadable'], [6, 'card_not_active'], [7, 'card_not_active'],
      [8, 'card_expired'], [9, 'invalid_amount'], [11, 'exceeds_max_balance'], [13, 'invalid_reference'],
    ]);
    expect([await balance(ok1), await balance(ok2), await balance(full), await balance(once!)]).toEqual([1000, 2500, 60_000, 0]);
    const over = readRejects(file).find((x) => x.line === 11)!;
    expect(over.message).toBe('balance 60000 + 40001 would exceed the program maximum 100000');
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('keeps references unique per issuer: the same reference loads once for each issuer', async () => {
    const file = writeLoadFile(dir, 'issuers.csv', [[sv[5]!, 100, 'SHARED'], [sv2!, 200, 'SHARED']]);
    const r = await loadCli(ctx, file, ['--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ applied: { count: 2, amount: 300 }, rejected: { count: 0 } });
    const { rows } = await ctx.db.pg.query(`select i.code from load_references r join issuers i on i.id = r.issuer_id where reference = 'SHARED' order by 1`);
    expect(rows).toEqual([{ code: 'ISS' }, { code: 'ISS2' }]);
  });

  it('--dry-run reports what would be applied and rejected, and posts nothing', async () => {
    const before = await loadState(ctx);
    const file = writeLoadFile(dir, 'dry.csv', [[sv[6]!, 90_000, 'D-1'], [sv[6]!, 20_000, 'D-2'], [sv[7]!, 500, 'D-3'], [unknownPan(), 5, 'D-4']]);
    const r = await loadCli(ctx, file, ['--dry-run', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ dry_run: true, applied: { count: 2, amount: 90_500 }, rejected: { count: 2 } });
    expect(readRejects(file).map((x) => x.reason)).toEqual(['exceeds_max_balance', 'unknown_card']);
    expect(await loadState(ctx)).toEqual(before);
    expect([await balance(sv[6]!), await balance(sv[7]!)]).toEqual([0, 0]);
    // The real run afterwards applies exactly what the dry run predicted.
    const real = await loadCli(ctx, file, ['--json']);
    expect(JSON.parse(real.stdout)).toMatchObject({ dry_run: false, applied: { count: 2, amount: 90_500 }, rejected: { count: 2 } });
  });

  it('exits 1 for a file with no valid row, and still writes its rejects', async () => {
    const before = await loadState(ctx);
    const file = writeLoadFile(dir, 'none.csv', [[unknownPan(), 100, 'N-1'], [sv[8]!, -5, 'N-2']]);
    const r = await loadCli(ctx, file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no valid row/);
    expect(readRejects(file).map((x) => x.reason)).toEqual(['unknown_card', 'invalid_amount']);
    expect(await loadState(ctx)).toEqual(before);
  });

  it('reads a file with a UTF-8 byte-order mark and CRLF line endings', async () => {
    const file = path.join(dir, 'bom.csv');
    fs.writeFileSync(file, `\uFEFFcard,amount,reference\r\n${sv[9]},700,BOM-1\r\n${sv[9]},300,BOM-2\r\nTRAILER,2,1000\r\n`);
    const r = await loadCli(ctx, file, ['--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ lines: 2, total: 1000, applied: { count: 2, amount: 1000 }, rejected: { count: 0 } });
    expect(await balance(sv[9]!)).toBe(1000);
  });

  it('refuses a file without the header card,amount,reference, posting nothing', async () => {
    const before = await loadState(ctx);
    for (const [name, text] of [
      ['noheader.csv', `${sv[10]},100,H-1\n`],
      ['wrongheader.csv', `card,reference,amount\n${sv[10]},H-1,100\n`],
      ['empty.csv', ''],
    ] as const) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, text);
      const r = await loadCli(ctx, file);
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toMatch(/expected the header card,amount,reference/);
      expect(r.stderr, name).not.toContain(sv[10]!);
    }
    expect(await loadState(ctx)).toEqual(before);
  });

  it('exits 1 for a missing file and 2 for bad options', async () => {
    expect((await loadCli(ctx, path.join(dir, 'missing.csv'))).code).toBe(1);
    const file = writeLoadFile(dir, 'opts.csv', [[sv[11]!, 1, 'O-1']]);
    expect((await loadCli(ctx, file, ['--expect-count', 'one'])).code).toBe(1);
    expect((await loadCli(ctx, file, ['--bogus'])).code).toBe(2);
    expect(await balance(sv[11]!)).toBe(0);
  });
});
