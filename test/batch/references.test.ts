import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { issuePans, loadCli, loadState, readRejects, tempDir, writeLoadFile } from '../helpers/batch.js';
import { addIssuer } from '../../src/registry/issuers.js';
import { addProgram } from '../../src/registry/programs.js';
import { panToken } from '../../src/cards/vault.js';
import { verifyLedger } from '../../src/ledger/verify.js';

const ctx = await testContext();
const dir = tempDir();
await addIssuer(ctx, { code: 'ISS', name: 'Issuer' });
await addProgram(ctx, { code: 'SV', issuer: 'ISS', bin: '622000', activateOnIssue: true });
const [a, b, c, d] = (await issuePans(ctx, dir, 'SV', 4, 'B1')) as [string, string, string, string];
const balance = async (pan: string) => (await ctx.db.pg.query<{ balance: number }>(
  'select a.balance from card_accounts a join cards c on c.id = a.card_id where c.pan_token = $1', [panToken(ctx.keys, pan)])).rows[0]!.balance;

describe('purse cards load: references are applied once per issuer', () => {
  it('rejects a reference repeated within one file: the first occurrence wins', async () => {
    const file = writeLoadFile(dir, 'dup-in-file.csv', [
      [a, 100, 'R-1'],
      [b, 200, 'R-2'],
      [b, 999, 'R-1'],
      [a, 100, 'R-1'],
    ], [4, 1399]);
    const r = await loadCli(ctx, file, ['--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ applied: { count: 2, amount: 300 }, rejected: { count: 2 } });
    expect(readRejects(file).map((x) => [x.line, x.reference, x.reason, x.message])).toEqual([
      [4, 'R-1', 'duplicate_reference', 'reference already used on line 2 of this file (the first occurrence wins)'],
      [5, 'R-1', 'duplicate_reference', 'reference already used on line 2 of this file (the first occurrence wins)'],
    ]);
    expect([await balance(a), await balance(b)]).toEqual([100, 200]);
  });

  it('rejects a reference another file already applied with a different card or amount', async () => {
    const file = writeLoadFile(dir, 'dup-across.csv', [
      [c, 500, 'R-1'],
      [a, 101, 'R-2'],
      [c, 300, 'R-3'],
    ]);
    const r = await loadCli(ctx, file, ['--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ applied: { count: 1, amount: 300 }, already_applied: { count: 0 }, rejected: { count: 2 } });
    expect(readRejects(file).map((x) => [x.line, x.reason, x.message])).toEqual([
      [2, 'duplicate_reference', 'reference already applied from dup-in-file.csv line 2 with a different card or amount'],
      [3, 'duplicate_reference', 'reference already applied from dup-in-file.csv line 3 with a different card or amount'],
    ]);
    expect([await balance(a), await balance(b), await balance(c)]).toEqual([100, 200, 300]);
  });

  it('reports the rows of a re-run file as already applied, not as rejects, exits 0 and posts nothing', async () => {
    const file = writeLoadFile(dir, 'rerun.csv', [[d, 50, 'RR-1'], [d, 60, 'RR-2'], [d, 70, 'RR-3']], [3, 180]);
    const first = await loadCli(ctx, file, ['--json']);
    expect(JSON.parse(first.stdout)).toMatchObject({ applied: { count: 3, amount: 180 }, rejected: { count: 0 } });
    const before = await loadState(ctx);
    for (let run = 0; run < 2; run++) {
      const again = await loadCli(ctx, file, ['--json']);
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ applied: { count: 0, amount: 0 }, already_applied: { count: 3, amount: 180 }, rejected: { count: 0 } });
      expect(readRejects(file)).toEqual([]);
    }
    // The same rows copied into a file of another name are the same instructions: already applied.
    const copy = writeLoadFile(dir, 'rerun-copy.csv', [[d, 60, 'RR-2'], [d, 80, 'RR-4']]);
    const other = await loadCli(ctx, copy, ['--json']);
    expect(JSON.parse(other.stdout)).toMatchObject({ applied: { count: 1, amount: 80 }, already_applied: { count: 1, amount: 60 }, rejected: { count: 0 } });
    expect(await loadState(ctx)).toEqual({ references: before.references + 1, entries: before.entries + 1, credited: before.credited + 80 });
    expect(await balance(d)).toBe(260);
    // The human summary says so too.
    const human = await loadCli(ctx, file);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/already applied: 3 rows, 180/);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('keeps the first-occurrence rule on a re-run: the duplicate stays rejected, the first stays applied', async () => {
    const file = `${dir}/dup-in-file.csv`;
    expect(fs.existsSync(file)).toBe(true);
    const r = await loadCli(ctx, file, ['--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ applied: { count: 0 }, already_applied: { count: 2, amount: 300 }, rejected: { count: 2 } });
    expect(readRejects(file).map((x) => x.reason)).toEqual(['duplicate_reference', 'duplicate_reference']);
  });
});
