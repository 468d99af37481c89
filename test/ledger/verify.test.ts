import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { testContext, type TestContext } from '../helpers/db.js';
import { seedBasics, type Basics } from '../helpers/seed.js';
import { runCli } from '../helpers/cli.js';
import { balancedEntry, type Entry, type Posting } from '../../src/ledger/entry.js';
import { postEntries } from '../../src/ledger/post.js';
import { account, pointsAsset } from '../../src/ledger/accounts.js';
import { verifyLedger, type VerifyReport } from '../../src/ledger/verify.js';
import { withTransaction } from '../../src/db/tx.js';
import { openBusinessDate } from '../../src/ledger/business-date.js';
import { bpsOf, pointsValue } from '../../src/ledger/money.js';
import { addScheme } from '../../src/registry/schemes.js';
import { addMerchant } from '../../src/registry/merchants.js';

const ctx = await testContext();
const seed = await seedBasics(ctx, 3);
// v = 1.5 fen a point, so every 1-point earn leaves half a fen of rounding in the float.
const scheme = await addScheme(ctx, { code: 'PTS', issuePrice: '2', redemptionValue: '1.5' });
const merchant = await addMerchant(ctx, { code: 'SHOP', commissionBps: '150' });
const PTS = pointsAsset('PTS');

async function post(c: TestContext, legs: Posting[], kind: Entry['kind'] = 'bulk_load', merchantId: number | null = null): Promise<void> {
  await withTransaction(c.db.pg, async (client) => {
    const d = await openBusinessDate(client, c.clock.now(), c.calendar);
    await postEntries(client, d, [balancedEntry(kind, legs, { occurredAt: c.clock.now(), merchantId })]);
  });
}

const load = (c: TestContext, s: Basics, card: number, a: number) => post(c, [
  { account: account.cardValue(card), asset: 'CNY', amount: a },
  { account: account.issuer(s.issuerId), asset: 'CNY', amount: -a },
]);

function purchase(card: number, a: number): Promise<void> {
  const f = bpsOf(a, 150);
  return post(ctx, [
    { account: account.cardValue(card), asset: 'CNY', amount: -a },
    { account: account.merchant(merchant.id), asset: 'CNY', amount: a - f },
    { account: account.revenue('merchant_commission'), asset: 'CNY', amount: f },
  ], 'purchase', merchant.id);
}

/**
 * Points issued as an earn would issue them (money legs of design §4). Invariant 3 looks only at
 * the scheme's issued and float accounts, so the points go to a holder account rather than a card
 * (a card's points would also need their lots, which the points module keeps).
 */
function earn(p: number): Promise<void> {
  const paid = pointsValue(p, scheme.issue_price);
  const float = pointsValue(p, scheme.redemption_value);
  return post(ctx, [
    { account: account.memo('points_holder'), asset: PTS, amount: p },
    { account: account.schemeIssued(scheme.id), asset: PTS, amount: -p },
    { account: account.merchant(merchant.id), asset: 'CNY', amount: -paid },
    { account: account.schemeFloat(scheme.id), asset: 'CNY', amount: float },
    { account: account.revenue('points_spread'), asset: 'CNY', amount: paid - float },
  ], 'points_earn', merchant.id);
}

/** Plants `corrupt` in a transaction, verifies inside it, and rolls everything back. */
async function verifyCorrupted(corrupt: (client: pg.PoolClient) => Promise<unknown>): Promise<VerifyReport> {
  const client = await ctx.db.pg.connect();
  try {
    await client.query('begin');
    await corrupt(client);
    return await verifyLedger(client);
  } finally {
    await client.query('rollback');
    client.release();
  }
}

/** An entry with postings inserted past the balance trigger (as a buggy or malicious superuser could). */
async function rawEntry(client: pg.PoolClient, legs: { account: string; asset: string; amount: number; card?: number }[]): Promise<number> {
  await client.query('alter table postings disable trigger postings_balanced');
  const { rows } = await client.query<{ id: number }>(
    `insert into entries (kind, business_date, occurred_at) values ('bulk_load', '2026-03-10', $1) returning id`, [ctx.clock.now()]);
  const id = rows[0]!.id;
  for (const l of legs) {
    await client.query(
      `insert into postings (entry_id, account, asset, amount, card_id, business_date, entry_kind) values ($1, $2, $3, $4, $5, '2026-03-10', 'bulk_load')`,
      [id, l.account, l.asset, l.amount, l.card ?? null]);
  }
  await client.query('alter table postings enable trigger postings_balanced');
  return id;
}

const byInvariant = (r: VerifyReport, n: number) => r.violations.filter((v) => v.invariant === n).map((v) => v.message);

describe('ledger verify', () => {
  it('passes a clean ledger of loads, purchases and points issued with rounding', async () => {
    await load(ctx, seed, seed.cardIds[0]!, 50_000);
    await purchase(seed.cardIds[0]!, 1_234);
    await earn(1);
    await earn(1); // float 2 + 2 = 4 fen against r(2 × 1.5) = 3: within half a fen per entry
    const r = await verifyLedger(ctx.db.pg);
    expect(r.violations).toEqual([]);
    expect(r.ok).toBe(true);
    const { rows: [n] } = await ctx.db.pg.query(
      'select (select count(*) from entries) as e, (select count(*) from postings) as p, (select count(*) from card_accounts) as a');
    expect([r.entries, r.postings, r.cardAccounts]).toEqual([n.e, n.p, n.a]);
  });

  it('invariant 1: finds an entry that does not sum to zero, and one without postings', async () => {
    const r = await verifyCorrupted(async (c) => {
      const id = await rawEntry(c, [{ account: account.issuer(seed.issuerId), asset: 'CNY', amount: 100 }]);
      await c.query(`insert into entries (kind, business_date, occurred_at) values ('bulk_load', '2026-03-10', now())`);
      return id;
    });
    expect(r.ok).toBe(false);
    expect(byInvariant(r, 1)).toEqual([expect.stringMatching(/^entry \d+: asset CNY sums to 100$/), expect.stringMatching(/^entry \d+ \(bulk_load\) has no postings$/)]);
    expect(byInvariant(r, 4)).toEqual(['asset CNY: all account balances sum to 100']);
  });

  it('invariant 2: finds a card balance that differs from its postings or is negative', async () => {
    const card = seed.cardIds[1]!;
    const drift = await verifyCorrupted((c) => c.query(`update card_accounts set balance = balance + 7 where card_id = $1 and asset = 'CNY'`, [card]));
    expect(byInvariant(drift, 2)).toEqual([`card ${card} CNY: balance 7 but postings sum to 0`]);
    const negative = await verifyCorrupted(async (c) => {
      await c.query('alter table card_accounts drop constraint card_accounts_balance_check, drop constraint card_accounts_check');
      await c.query(`update card_accounts set balance = -5 where card_id = $1 and asset = 'CNY'`, [card]);
    });
    expect(byInvariant(negative, 2)).toContain(`card ${card} CNY: negative balance -5 or holds 0`);
  });

  it('invariant 2: finds a card above its program maximum', async () => {
    const card = seed.cardIds[2]!;
    const r = await verifyCorrupted((c) => postEntries(c, '2026-03-10', [balancedEntry('bulk_load', [
      { account: account.cardValue(card), asset: 'CNY', amount: 100_001 },
      { account: account.issuer(seed.issuerId), asset: 'CNY', amount: -100_001 },
    ], { occurredAt: ctx.clock.now() })]));
    expect(byInvariant(r, 2)).toEqual([`card ${card}: balance 100001 above program SV maximum 100000`]);
    expect(byInvariant(r, 1)).toEqual([]);
  });

  it('invariant 3: finds a scheme float that no longer matches the outstanding points', async () => {
    const r = await verifyCorrupted((c) => postEntries(c, '2026-03-10', [balancedEntry('points_earn', [
      { account: account.schemeFloat(scheme.id), asset: 'CNY', amount: 100 },
      { account: account.merchant(merchant.id), asset: 'CNY', amount: -100 },
    ], { occurredAt: ctx.clock.now() })]));
    expect(byInvariant(r, 3)).toEqual(['scheme PTS: float 104, expected 3 for 2 outstanding points (tolerance 2 entries)']);
    expect(r.violations.map((v) => v.invariant)).toEqual([3]);
  });

  it('invariant 3: after a revaluation the float must match exactly', async () => {
    const reval = (d: number) => balancedEntry('points_revaluation', [
      { account: account.schemeFloat(scheme.id), asset: 'CNY', amount: d },
      { account: account.revenue('points_spread'), asset: 'CNY', amount: -d },
    ], { occurredAt: ctx.clock.now(), memo: { scheme_id: scheme.id } });
    const stale = await verifyCorrupted((c) => postEntries(c, '2026-03-10', [reval(1), reval(-1)]));
    expect(byInvariant(stale, 3)).toEqual(['scheme PTS: float 4, expected 3 for 2 outstanding points (tolerance 0 entries)']);
    const exact = await verifyCorrupted((c) => postEntries(c, '2026-03-10', [reval(-1)]));
    expect(exact.ok).toBe(true);
  });

  it('invariant 4: finds balances that do not sum to zero across all accounts', async () => {
    const r = await verifyCorrupted((c) => c.query(`update card_accounts set balance = balance - 9 where card_id = $1 and asset = 'CNY'`, [seed.cardIds[0]]));
    expect(byInvariant(r, 4)).toEqual(['asset CNY: all account balances sum to -9']);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true); // rolled back
  });
});

describe('purse ledger verify', () => {
  it('exits 0 on a clean database and 1 once an unbalanced entry is committed', async () => {
    const other = await testContext();
    const s = await seedBasics(other, 1);
    await load(other, s, s.cardIds[0]!, 5_000);
    const clean = await runCli(['ledger', 'verify'], other.env);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/ledger OK: all invariants hold/);
    const client = await other.db.pg.connect();
    try {
      await client.query('alter table postings disable trigger postings_balanced');
      await client.query(`
        with e as (insert into entries (kind, business_date, occurred_at) values ('bulk_load', '2026-03-10', now()) returning id)
        insert into postings (entry_id, account, asset, amount, business_date, entry_kind)
        select id, $1, 'CNY', -250, '2026-03-10', 'bulk_load' from e`, [account.issuer(s.issuerId)]);
      await client.query('alter table postings enable trigger postings_balanced');
    } finally {
      client.release();
    }
    const broken = await runCli(['ledger', 'verify', '--json'], other.env);
    expect(broken.code).toBe(1);
    const report = JSON.parse(broken.stdout) as VerifyReport;
    expect(report.ok).toBe(false);
    expect(report.violations.map((v) => v.invariant)).toEqual([1, 4]);
    const human = await runCli(['ledger', 'verify'], other.env);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/invariant 1: entry \d+: asset CNY sums to -250\n/);
    expect(human.stdout).toMatch(/ledger BROKEN: 2 violation\(s\)/);
  });
});
