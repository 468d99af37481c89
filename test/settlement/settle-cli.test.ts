import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { seedBasics } from '../helpers/seed.js';
import { runCli } from '../helpers/cli.js';
import { withTransaction } from '../../src/db/tx.js';
import { openBusinessDate } from '../../src/ledger/business-date.js';
import { postEntries } from '../../src/ledger/post.js';
import { balancedEntry } from '../../src/ledger/entry.js';
import { account } from '../../src/ledger/accounts.js';

const ctx = await testContext();
const seed = await seedBasics(ctx, 1);
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-settle-cli-'));

/** A bulk load of `amount` onto the seed card at the clock's time (issuer ISS pays in). */
async function bulkLoad(at: string, amount: number): Promise<void> {
  ctx.clock.set(at);
  await withTransaction(ctx.db.pg, async (c) => {
    await postEntries(c, await openBusinessDate(c, ctx.clock.now(), ctx.calendar), [balancedEntry('bulk_load', [
      { account: account.cardValue(seed.cardIds[0]!), asset: 'CNY', amount },
      { account: account.issuer(seed.issuerId), asset: 'CNY', amount: -amount },
    ], { occurredAt: ctx.clock.now() })]);
  });
}

await bulkLoad('2026-03-10T12:00:00+08:00', 12_345);
await bulkLoad('2026-03-11T12:00:00+08:00', 100);

// The CLI runs on the system clock: these dates are long over.
describe('purse settle (CLI)', () => {
  it('exits 2 without --date', async () => {
    const r = await runCli(['settle'], ctx.env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--date');
  });

  it('exits 1 naming the field for a malformed date or a date not over yet', async () => {
    const bad = await runCli(['settle', '--date', '2026-02-30', '--out', out], ctx.env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--date must be a date YYYY-MM-DD \(field: date\)/);
    const future = await runCli(['settle', '--date', '2099-01-01', '--out', out], ctx.env);
    expect(future.code).toBe(1);
    expect(future.stderr).toMatch(/business date 2099-01-01 cannot be settled before .* \(field: date\)/);
    expect(fs.readdirSync(out)).toEqual([]);
  });

  it('exits 1 naming the earlier date still open, closing nothing', async () => {
    const r = await runCli(['settle', '--date', '2026-03-11', '--out', out], ctx.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('business date 2026-03-10 has postings and is still open; settle it before 2026-03-11');
    expect((await ctx.db.pg.query('select business_date from business_dates')).rows).toEqual([]);
  });

  it('settles with --json (one JSON document on stdout), re-runs posting nothing, and two commands at once post once', async () => {
    const r = await runCli(['settle', '--date', '2026-03-10', '--out', out, '--json'], ctx.env);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ business_date: '2026-03-10', posted: true, balanced: true, entries: { settlement: 1, revaluation: 0 }, out_dir: out });
    expect(result.files.map((f: { file: string; rows: number }) => [f.file, f.rows])).toEqual([
      ['merchants-2026-03-10.csv', 0], ['merchant-points-2026-03-10.csv', 0], ['channels-2026-03-10.csv', 0], ['issuers-2026-03-10.csv', 1]]);
    expect(fs.readFileSync(path.join(out, 'issuers-2026-03-10.csv'), 'utf8')).toBe(
      'business_date,issuer,currency,load_amount,card_fee_amount,cash_out_amount,breakage_amount,net_amount\n2026-03-10,ISS,CNY,12345,0,0,0,-12345\n');
    const summary = fs.readFileSync(result.summary.path);
    const again = await runCli(['settle', '--date', '2026-03-10', '--out', out], ctx.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('business date 2026-03-10 was already settled: nothing posted, files rewritten');
    expect(fs.readFileSync(result.summary.path).equals(summary)).toBe(true);
    // Now 2026-03-11 may settle; two commands at once post it once.
    const both = await Promise.all([1, 2].map(() => runCli(['settle', '--date', '2026-03-11', '--out', out, '--json'], ctx.env)));
    for (const r2 of both) expect(r2.code, r2.stderr).toBe(0);
    expect(both.map((r2) => JSON.parse(r2.stdout).posted).sort()).toEqual([false, true]);
    const { rows } = await ctx.db.pg.query(`select count(*)::int as n from entries where kind = 'settlement' and business_date = '2026-03-11'`);
    expect(rows[0].n).toBe(1);
  });

  it('writes into PURSE_SETTLEMENT_DIR when --out is not given', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-settle-env-'));
    const r = await runCli(['settle', '--date', '2026-03-10', '--json'], { ...ctx.env, PURSE_SETTLEMENT_DIR: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).out_dir).toBe(dir);
    expect(fs.readFileSync(path.join(dir, 'issuers-2026-03-10.csv')).equals(fs.readFileSync(path.join(out, 'issuers-2026-03-10.csv')))).toBe(true);
  });
});
