import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { accountBalance, at, balanceOf, entryCount, issueCard, load, purchase } from '../helpers/residual.js';
import { addIssuer } from '../../src/registry/issuers.js';
import { addProgram } from '../../src/registry/programs.js';
import { addMerchant } from '../../src/registry/merchants.js';
import { chargeDormancy } from '../../src/settlement/dormancy.js';
import { changeCardStatus } from '../../src/cards/lifecycle.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { account } from '../../src/ledger/accounts.js';

const ctx = await testContext();
const iss = await addIssuer(ctx, { code: 'ISS', name: 'Issuer' });
await addProgram(ctx, { code: 'DORM', issuer: 'ISS', bin: '622005', named: true, dormancyMonths: 12, dormancyFee: 500 });
await addProgram(ctx, { code: 'PLAIN', issuer: 'ISS', bin: '622006', named: true });
const m = await addMerchant(ctx, { code: 'M1' });

at(ctx, '2025-01-05');
const small = await issueCard(ctx, 'DORM');
const big = await issueCard(ctx, 'DORM');
const held = await issueCard(ctx, 'DORM');
const busy = await issueCard(ctx, 'DORM');
const frozen = await issueCard(ctx, 'DORM');
const plain = await issueCard(ctx, 'PLAIN');
await load(ctx, small.id, iss.id, 300);
await load(ctx, big.id, iss.id, 2000);
await load(ctx, held.id, iss.id, 1000);
await load(ctx, busy.id, iss.id, 1000);
await load(ctx, frozen.id, iss.id, 700);
await load(ctx, plain.id, iss.id, 900);
await changeCardStatus(ctx, { cardId: frozen.id }, 'freeze');
// 800 of `held` is reserved by an open pre-authorization: only 200 is available.
await ctx.db.pg.query(`update card_accounts set held = 800 where card_id = $1`, [held.id]);
at(ctx, '2026-01-20');
await purchase(ctx, busy.id, m.id, 100);

describe('dormancy fees', () => {
  it('charges nothing before the dormancy period has passed', async () => {
    at(ctx, '2026-01-04');
    const r = await chargeDormancy(ctx);
    expect(r.cards).toBe(0);
  });

  it('a dormancy fee never makes a balance negative', async () => {
    at(ctx, '2026-03-10');
    const r = await chargeDormancy(ctx);
    // small: min(500, 300); big: 500; held: min(500, 1000 - 800); frozen: 500; busy: active in January; plain: no fee.
    expect(r).toMatchObject({ as_of: '2026-03-10', month: '2026-03-01', cards: 4, amount: 300 + 500 + 200 + 500 });
    expect(await balanceOf(ctx, small.id)).toBe(0);
    expect(await balanceOf(ctx, big.id)).toBe(1500);
    expect(await balanceOf(ctx, held.id)).toBe(800);
    expect(await balanceOf(ctx, frozen.id)).toBe(200);
    expect(await balanceOf(ctx, busy.id)).toBe(900);
    expect(await balanceOf(ctx, plain.id)).toBe(900);
    expect(await accountBalance(ctx, account.revenue('dormancy_fees'))).toBe(1500);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('charges a card at most once per month', async () => {
    const before = await entryCount(ctx);
    at(ctx, '2026-03-28');
    expect((await chargeDormancy(ctx)).cards).toBe(0);
    expect(await entryCount(ctx)).toBe(before);
  });

  it('charges again the next month, still never below zero, and a fee is not activity', async () => {
    at(ctx, '2026-04-02');
    const dry = await chargeDormancy(ctx, { dryRun: true });
    expect(dry.amount).toBe(500 + 200);
    const r = await chargeDormancy(ctx);
    // small is empty, held has nothing available, big pays 500, frozen the 200 left.
    expect(r).toMatchObject({ month: '2026-04-01', cards: 2, amount: 700 });
    expect(await balanceOf(ctx, small.id)).toBe(0);
    expect(await balanceOf(ctx, held.id)).toBe(800);
    expect(await balanceOf(ctx, big.id)).toBe(1000);
    expect(await balanceOf(ctx, frozen.id)).toBe(0);
    const { rows } = await ctx.db.pg.query<{ n: number }>('select count(*)::int as n from dormancy_charges where card_id = $1', [big.id]);
    expect(rows[0]!.n).toBe(2);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('refuses an as-of date after today', async () => {
    await expect(chargeDormancy(ctx, { asOf: '2026-05-01' })).rejects.toMatchObject({ code: 'future_date', field: 'as_of' });
  });
});
