import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { runCli } from '../helpers/cli.js';
import { accountBalance, at, balanceOf, entryCount, issueCard, load } from '../helpers/residual.js';
import { addIssuer } from '../../src/registry/issuers.js';
import { addProgram } from '../../src/registry/programs.js';
import { runBreakage } from '../../src/settlement/breakage.js';
import { reactivateCard } from '../../src/cards/reactivate.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { account } from '../../src/ledger/accounts.js';
import { PurseError } from '../../src/errors.js';

const ctx = await testContext();
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-breakage-'));

const iss = await addIssuer(ctx, { code: 'ISS', name: 'Issuer' });
const ops = await addIssuer(ctx, { code: 'OPS', name: 'Operator', operator: true });
await addProgram(ctx, { code: 'REM', issuer: 'ISS', bin: '622001' });
await addProgram(ctx, { code: 'OPR', issuer: 'OPS', bin: '622002' });
await addProgram(ctx, { code: 'ESC', issuer: 'ISS', bin: '622003', escheat: true });

// Issued 2023-01-10 with the default 36 months: last valid day 2026-01-31, so with the default
// 30 grace days the value is derecognised as of 2026-03-03 (2026-01-31 + 30 = 2026-03-02 < D).
at(ctx, '2023-01-10');
const a = await issueCard(ctx, 'REM');
const o = await issueCard(ctx, 'OPR');
const e = await issueCard(ctx, 'ESC');
await load(ctx, a.id, iss.id, 5000);
await load(ctx, o.id, ops.id, 600);
await load(ctx, e.id, iss.id, 800);
at(ctx, '2026-01-05');
const c = await issueCard(ctx, 'REM');
await load(ctx, c.id, iss.id, 1000);
at(ctx, '2026-03-10');

const run = (asOf: string, dryRun = false) => runBreakage(ctx, { asOf, dryRun, outDir: out });

describe('remote breakage', () => {
  it('leaves value on a card still within its grace period', async () => {
    expect(a.expiry).toBe('2026-01-31');
    const r = await run('2026-03-02');
    expect(r.remote.cards + r.remote.escheat_cards).toBe(0);
    expect(await balanceOf(ctx, a.id)).toBe(5000);
  });

  it('a dry run reports what would move and posts nothing', async () => {
    const before = await entryCount(ctx);
    const r = await run('2026-03-03', true);
    expect(r.run_id).toBeNull();
    expect(r.remote).toMatchObject({ cards: 2, amount: 5600, escheat_cards: 1, escheat_amount: 800 });
    expect(await entryCount(ctx)).toBe(before);
    expect(await balanceOf(ctx, a.id)).toBe(5000);
    expect(fs.existsSync(r.report.json)).toBe(true);
  });

  it('running breakage twice posts once', async () => {
    const first = await run('2026-03-03');
    expect(first.remote.programs).toEqual([
      { program: 'ESC', breakage_method: 'remote', kind: 'escheat', target: 'escheat', cards: 1, amount: 800 },
      { program: 'OPR', breakage_method: 'remote', kind: 'breakage', target: 'revenue:breakage', cards: 1, amount: 600 },
      { program: 'REM', breakage_method: 'remote', kind: 'breakage', target: 'issuer', cards: 1, amount: 5000 },
    ]);
    const afterFirst = await entryCount(ctx);
    const second = await run('2026-03-03');
    expect(second.remote.cards + second.remote.escheat_cards).toBe(0);
    expect(await entryCount(ctx)).toBe(afterFirst);

    expect(await balanceOf(ctx, a.id)).toBe(0);
    expect(await balanceOf(ctx, c.id)).toBe(1000); // not expired
    // issuer: -5000 -800 -1000 loaded, +5000 breakage of card a
    expect(await accountBalance(ctx, account.issuer(iss.id))).toBe(-1800);
    expect(await accountBalance(ctx, account.revenue('breakage'))).toBe(600);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('moves escheat value to escheat:<issuer>, a liability, never to revenue', async () => {
    expect(await balanceOf(ctx, e.id)).toBe(0);
    expect(await accountBalance(ctx, account.escheat(iss.id))).toBe(800);
    const { rows } = await ctx.db.pg.query<{ kind: string }>(
      `select distinct entry_kind as kind from postings where card_id = $1 and entry_kind <> 'bulk_load'`, [e.id]);
    expect(rows.map((r) => r.kind)).toEqual(['escheat']);
    // revenue:breakage holds only the operator program's 600
    expect(await accountBalance(ctx, account.revenue('breakage'))).toBe(600);
  });

  it('reactivation after breakage restores the value exactly and the next run does not re-derecognise it', async () => {
    const r = await reactivateCard(ctx, { cardId: a.id });
    expect(r).toMatchObject({ restored: 5000, from_status: 'active', to_status: 'active', old_expiry: '2026-01-31', new_expiry: '2029-03-31' });
    expect(await balanceOf(ctx, a.id)).toBe(5000);
    expect(await accountBalance(ctx, account.issuer(iss.id))).toBe(-6800);

    const before = await entryCount(ctx);
    const next = await run('2026-03-10');
    expect(next.remote.cards).toBe(0);
    expect(await entryCount(ctx)).toBe(before);
    expect(await balanceOf(ctx, a.id)).toBe(5000);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('reactivating an escheated card brings its value back from escheat', async () => {
    const r = await reactivateCard(ctx, { cardId: e.id });
    expect(r.restored).toBe(800);
    expect(await balanceOf(ctx, e.id)).toBe(800);
    expect(await accountBalance(ctx, account.escheat(iss.id))).toBe(0);
    await expect(reactivateCard(ctx, { cardId: e.id })).rejects.toMatchObject({ code: 'not_expired' });
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('refuses an as-of date after today or before the last run', async () => {
    await expect(run('2026-03-11')).rejects.toMatchObject({ code: 'future_date', field: 'as_of' });
    await expect(run('2026-03-09')).rejects.toMatchObject({ code: 'as_of_before_last_run', field: 'as_of' });
    await expect(run('2026-02-30')).rejects.toBeInstanceOf(PurseError);
  });

  it('purse breakage run --json prints the run and writes the report files', async () => {
    const r = await runCli(['breakage', 'run', '--as-of', '2026-03-10', '--out', out, '--json'], ctx.env);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ as_of: '2026-03-10', dry_run: false, remote: { cards: 0, amount: 0 } });
    expect(fs.readFileSync(doc.report.csv, 'utf8').split('\n')[0]).toBe(
      'program,cohort,fully_expired,loaded,redeemed,rate_bps,rate_source,expected_breakage,expected_redemptions,recognised_before,recognised_to_date,true_up,entry_id');
    const bad = await runCli(['breakage', 'run', '--as-of', 'yesterday'], ctx.env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/\(field: --as-of\)/);
  });
});
