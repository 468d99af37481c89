import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { seedBasics } from '../helpers/seed.js';
import { balancedEntry } from '../../src/ledger/entry.js';
import { postEntries } from '../../src/ledger/post.js';
import { account } from '../../src/ledger/accounts.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { withTransaction } from '../../src/db/tx.js';
import { openBusinessDate } from '../../src/ledger/business-date.js';
import { runCli } from '../helpers/cli.js';

const ctx = await testContext();
const seed = await seedBasics(ctx);

async function load(cardId: number, amount: number) {
  return withTransaction(ctx.db.pg, async (c) => {
    const d = await openBusinessDate(c, ctx.clock.now(), ctx.calendar);
    return postEntries(c, d, [balancedEntry('bulk_load', [
      { account: account.cardValue(cardId), asset: 'CNY', amount },
      { account: account.issuer(seed.issuerId), asset: 'CNY', amount: -amount },
    ], { occurredAt: ctx.clock.now() })]);
  });
}

describe('ledger core', () => {
  it('posts a balanced entry and keeps the card balance in place', async () => {
    await load(seed.cardIds[0]!, 1234);
    const { rows } = await ctx.db.pg.query('select balance from card_accounts where card_id = $1', [seed.cardIds[0]]);
    expect(rows[0].balance).toBe(1234);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('refuses in TypeScript to build an unbalanced entry', () => {
    expect(() => balancedEntry('bulk_load', [{ account: 'issuer:1', asset: 'CNY', amount: 5 }], { occurredAt: new Date() }))
      .toThrow(/sums to 5/);
  });

  it('refuses an unbalanced entry inserted with raw SQL', async () => {
    const before = await ctx.db.pg.query('select count(*)::int as n from postings');
    await expect(ctx.db.pg.query(`
      with e as (insert into entries (kind, business_date, occurred_at) values ('bulk_load', '2026-03-10', now()) returning id)
      insert into postings (entry_id, account, asset, amount, business_date, entry_kind)
      select id, 'issuer:1', 'CNY', 100, '2026-03-10', 'bulk_load' from e`)).rejects.toThrow(/unbalanced entry/);
    const after = await ctx.db.pg.query('select count(*)::int as n from postings');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('refuses UPDATE and DELETE of postings and entries', async () => {
    await load(seed.cardIds[1]!, 10);
    await expect(ctx.db.pg.query('update postings set amount = amount + 1')).rejects.toThrow(/append-only/);
    await expect(ctx.db.pg.query('delete from postings')).rejects.toThrow(/append-only/);
    await expect(ctx.db.pg.query('update entries set kind = $1', ['x'])).rejects.toThrow(/append-only/);
    await expect(ctx.db.pg.query('truncate postings cascade')).rejects.toThrow(/append-only/);
  });

  it('refuses a debit that would take a card balance below zero', async () => {
    await expect(load(seed.cardIds[2]!, -1)).rejects.toThrow(/card_accounts_check|violates check constraint/);
    const { rows } = await ctx.db.pg.query('select balance from card_accounts where card_id = $1', [seed.cardIds[2]]);
    expect(rows[0].balance).toBe(0);
  });

  it('stamps the next open business date once a date is closed', async () => {
    await ctx.db.pg.query(`insert into business_dates (business_date, closed_at) values ('2026-03-10', now())`);
    const [id] = await load(seed.cardIds[2]!, 5);
    const { rows } = await ctx.db.pg.query('select business_date from entries where id = $1', [id]);
    expect(rows[0].business_date).toBe('2026-03-11');
  });

  it('purse ledger verify exits 0 when clean and 1 on a corrupted card balance', async () => {
    const clean = await runCli(['ledger', 'verify', '--json'], ctx.env);
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout).ok).toBe(true);
    // Corrupt: change a card balance behind the ledger's back.
    await ctx.db.pg.query('update card_accounts set balance = balance + 7 where card_id = $1', [seed.cardIds[0]]);
    const broken = await runCli(['ledger', 'verify'], ctx.env);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/invariant 2: card \d+ CNY: balance 1241 but postings sum to 1234/);
    await ctx.db.pg.query('update card_accounts set balance = balance - 7 where card_id = $1', [seed.cardIds[0]]);
  });
});
