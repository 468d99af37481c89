import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { accountBalance, at, balanceOf, issueCard, load, purchase } from '../helpers/residual.js';
import { addIssuer } from '../../src/registry/issuers.js';
import { addProgram } from '../../src/registry/programs.js';
import { addMerchant } from '../../src/registry/merchants.js';
import { runBreakage } from '../../src/settlement/breakage.js';
import { proportionalSchedule, proportionalSchedules } from '../../src/settlement/breakage-proportional.js';
import { withTransaction } from '../../src/db/tx.js';
import { openBusinessDate } from '../../src/ledger/business-date.js';
import { postEntries } from '../../src/ledger/post.js';
import { balancedEntry } from '../../src/ledger/entry.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { account } from '../../src/ledger/accounts.js';

const ctx = await testContext();
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-prop-'));
const iss = await addIssuer(ctx, { code: 'ISS', name: 'Issuer' });
const prop = await addProgram(ctx, { code: 'PROP', issuer: 'ISS', bin: '622004', breakageMethod: 'proportional' });
const m = await addMerchant(ctx, { code: 'M1' });

// Synthetic history, one card per issue-month cohort (36 months' validity):
//   2023-01: loaded 10000, redeemed 7000, expires 2026-01-31
//   2023-04: loaded 10000, redeemed 9000, expires 2026-04-30
//   2026-01: loaded 20000, redeemed 5000 by March, 8000 by May
at(ctx, '2023-01-10');
const c1 = await issueCard(ctx, 'PROP');
await load(ctx, c1.id, iss.id, 10_000);
at(ctx, '2023-02-15');
await purchase(ctx, c1.id, m.id, 7000);
at(ctx, '2023-04-03');
const c2 = await issueCard(ctx, 'PROP');
await load(ctx, c2.id, iss.id, 10_000);
at(ctx, '2024-06-01');
await purchase(ctx, c2.id, m.id, 9000);
at(ctx, '2026-01-05');
const c3 = await issueCard(ctx, 'PROP');
await load(ctx, c3.id, iss.id, 20_000);
at(ctx, '2026-02-01');
await purchase(ctx, c3.id, m.id, 5000);

const cohort = <T extends { cohort: string }>(lines: T[], name: string): T => lines.find((l) => l.cohort === name)!;

describe('proportional breakage', () => {
  it('matches the hand-computed schedule on a synthetic redemption history', async () => {
    at(ctx, '2026-03-10');
    const r = await runBreakage(ctx, { asOf: '2026-03-10', outDir: out });
    const lines = r.proportional.cohorts;
    expect(lines.map((l) => l.cohort)).toEqual(['2023-01', '2023-04', '2026-01']);
    // 2023-01 has fully expired: its actual breakage 10000 - 7000 = 3000 is recognised in full.
    expect(cohort(lines, '2023-01')).toMatchObject({ fully_expired: true, loaded: 10_000, redeemed: 7000, rate_source: 'actual',
      rate_bps: 3000, expected_breakage: 3000, expected_redemptions: 7000, recognised_to_date: 3000, true_up: 3000 });
    // 2023-04: rate from the older expired cohort, 3000 bps: B = 3000, E = 7000;
    // r(3000 × 9000 / 7000) = 3857 is capped at B = 3000.
    expect(cohort(lines, '2023-04')).toMatchObject({ fully_expired: false, rate_source: 'estimated', rate_bps: 3000,
      expected_breakage: 3000, expected_redemptions: 7000, recognised_to_date: 3000, true_up: 3000 });
    // 2026-01: B = 20000 × 30% = 6000, E = 14000, recognised r(6000 × 5000 / 14000) = r(2142.86) = 2143.
    expect(cohort(lines, '2026-01')).toMatchObject({ loaded: 20_000, redeemed: 5000, rate_bps: 3000, expected_breakage: 6000,
      expected_redemptions: 14_000, recognised_to_date: 2143, true_up: 2143 });
    expect(r.proportional.true_up).toBe(8143);
    expect(await accountBalance(ctx, account.memo('breakage_income', iss.id))).toBe(8143);
    expect(await accountBalance(ctx, account.memo('breakage_reserve', prop.id))).toBe(-8143);
    // The cash leg: card 1's remaining 3000 (expired 2026-01-31 + 30 days) went to the issuer.
    expect(await balanceOf(ctx, c1.id)).toBe(0);
    expect(r.remote.programs).toEqual([{ program: 'PROP', breakage_method: 'proportional', kind: 'breakage', target: 'issuer', cards: 1, amount: 3000 }]);
    const csv = fs.readFileSync(r.report.csv, 'utf8').trim().split('\n');
    expect(csv[3]).toBe(`PROP,2026-01,false,20000,5000,3000,estimated,6000,14000,0,2143,2143,${cohort(lines, '2026-01').entry_id}`);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('running it again posts no true-up', async () => {
    const r = await runBreakage(ctx, { asOf: '2026-03-10', outDir: out });
    expect(r.proportional.true_up).toBe(0);
    expect(r.proportional.cohorts.every((l) => l.true_up === 0 && l.entry_id === null)).toBe(true);
    expect(await accountBalance(ctx, account.memo('breakage_income', iss.id))).toBe(8143);
  });

  it('trues up cumulatively when the estimate changes', async () => {
    at(ctx, '2026-04-20');
    await purchase(ctx, c3.id, m.id, 3000);
    at(ctx, '2026-05-10');
    const r = await runBreakage(ctx, { asOf: '2026-05-10', outDir: out });
    const lines = r.proportional.cohorts;
    expect(cohort(lines, '2023-01')).toMatchObject({ recognised_before: 3000, recognised_to_date: 3000, true_up: 0 });
    // 2023-04 has now fully expired: actual breakage 1000 replaces the 3000 estimate.
    expect(cohort(lines, '2023-04')).toMatchObject({ fully_expired: true, rate_source: 'actual', rate_bps: 1000,
      expected_breakage: 1000, recognised_before: 3000, recognised_to_date: 1000, true_up: -2000 });
    // Pooled history: (20000 - 16000) / 20000 = 2000 bps. B = 4000, E = 16000, redeemed 8000:
    // r(4000 × 8000 / 16000) = 2000, against 2143 before: true-up -143.
    expect(cohort(lines, '2026-01')).toMatchObject({ redeemed: 8000, rate_bps: 2000, expected_breakage: 4000,
      expected_redemptions: 16_000, recognised_before: 2143, recognised_to_date: 2000, true_up: -143 });
    expect(r.proportional.true_up).toBe(-2143);
    expect(await accountBalance(ctx, account.memo('breakage_income', iss.id))).toBe(6000);
    const { rows } = await ctx.db.pg.query<{ n: number }>(`select count(*)::int as n from breakage_cohorts where run_id = $1`, [r.run_id]);
    expect(rows[0]!.n).toBe(3);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('counts a voided load as no load (the void takes the kind it undoes), not as a redemption', async () => {
    await addProgram(ctx, { code: 'PROPV', issuer: 'ISS', bin: '622005', breakageMethod: 'proportional' });
    at(ctx, '2026-06-02');
    const card = await issueCard(ctx, 'PROPV');
    await load(ctx, card.id, iss.id, 10_000);
    const legs = [{ account: account.cardValue(card.id), asset: 'CNY', amount: 2000 }, { account: account.merchant(m.id), asset: 'CNY', amount: -2000 }];
    await withTransaction(ctx.db.pg, async (c) => {
      const d = await openBusinessDate(c, ctx.clock.now(), ctx.calendar);
      const [loadId] = await postEntries(c, d, [balancedEntry('load', legs, { occurredAt: ctx.clock.now(), merchantId: m.id })]);
      await postEntries(c, d, [balancedEntry('void', legs.map((l) => ({ ...l, amount: -l.amount })), {
        occurredAt: ctx.clock.now(), merchantId: m.id, reversesEntryId: loadId, memo: { reverses: 'load' },
      })]);
    });
    await purchase(ctx, card.id, m.id, 1000);
    const schedules = await proportionalSchedules(ctx.db.pg, '2026-06-02', ctx.calendar.timezone);
    const lines = schedules.find((s) => s.program.code === 'PROPV')!.lines;
    expect(lines).toEqual([expect.objectContaining({ cohort: '2026-06', loaded: 10_000, redeemed: 1000 })]);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('uses a configured rate until the cohort fully expires, and recognises nothing without history or rate', () => {
    const lines = proportionalSchedule('P', 2500, [
      { cohort: '2026-01', fully_expired: false, loaded: 10_000, redeemed: 3000, recognised_before: 0 },
    ]);
    // B = 2500, E = 7500, r(2500 × 3000 / 7500) = 1000
    expect(lines[0]).toMatchObject({ rate_source: 'configured', expected_breakage: 2500, recognised_to_date: 1000, true_up: 1000 });
    const none = proportionalSchedule('P', null, [
      { cohort: '2026-01', fully_expired: false, loaded: 10_000, redeemed: 3000, recognised_before: 0 },
    ]);
    expect(none[0]).toMatchObject({ rate_source: 'none', expected_breakage: 0, recognised_to_date: 0 });
  });
});
