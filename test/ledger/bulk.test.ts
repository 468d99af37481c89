import { describe, expect, it } from 'vitest';
import type pg from 'pg';
import { testContext } from '../helpers/db.js';
import { seedBasics } from '../helpers/seed.js';
import { account } from '../../src/ledger/accounts.js';
import { BulkCreditRaced, postCardCredits, postPairedEntries } from '../../src/ledger/bulk.js';
import { openBusinessDate } from '../../src/ledger/business-date.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { withTransaction } from '../../src/db/tx.js';

const ctx = await testContext();
const seed = await seedBasics(ctx, 3);

/** Runs `fn` in a transaction holding the open business date, with a temporary `src` table made by `create`. */
async function withSource<T>(create: string, fn: (c: pg.PoolClient, date: string) => Promise<T>): Promise<T> {
  return withTransaction(ctx.db.pg, async (c) => {
    const date = await openBusinessDate(c, ctx.clock.now(), ctx.calendar);
    await c.query(`create temporary table src on commit drop as ${create}`);
    return fn(c, date);
  });
}

const counts = async () => (await ctx.db.pg.query<{ e: number; p: number }>(
  'select (select count(*) from entries)::int as e, (select count(*) from postings)::int as p')).rows[0]!;

describe('set-based card credits decided beforehand (postCardCredits)', () => {
  const creditRows = (rows: string) => `
    select ord::bigint, card_id::bigint, 'CNY'::text as asset, amount::bigint, 'issuer:${seed.issuerId}'::text as counter_account,
           max_balance::bigint, jsonb_build_object('ord', ord) as memo, null::bigint as entry_id
    from (values ${rows}) v(ord, card_id, amount, max_balance)`;
  const balances = async (ids: number[]) => (await ctx.db.pg.query<{ card_id: number; balance: number }>(
    'select card_id, balance from card_accounts where card_id = any($1) order by card_id', [ids])).rows;

  it('posts one entry per row in the account name the ledger spells, and raises each card by the sum of its rows', async () => {
    const [a, b] = seed.cardIds;
    const seen: unknown[] = [];
    const { credited, entries } = await withSource(creditRows(`(1, ${a}, 700, 1000), (2, ${b}, 300, 1000), (3, ${a}, 200, 1000)`),
      async (c, date) => {
        const posted = await postCardCredits(c, date, 'bulk_load', ctx.clock.now(), 'src', async (p) => {
          // Runs before the balances are raised: the entries exist and the rows name them, the cards are not yet credited.
          const named = await c.query<{ n: number }>('select count(*)::int as n from src s join entries e on e.id = s.entry_id');
          seen.push(p, named.rows[0]!.n, (await balances([a!, b!])).map((r) => r.balance));
        });
        const { rows } = await c.query<{ ord: number; entry_id: number; amount: number }>('select ord, entry_id, amount from src order by ord');
        return { credited: posted, entries: rows };
      });
    expect(credited).toEqual({ count: 3, amount: 1200 });
    expect(seen).toEqual([{ count: 3, amount: 1200 }, 3, [0, 0]]);
    expect(entries.map((e) => e.ord)).toEqual([1, 2, 3]);
    // Entries are numbered in the rows' order.
    expect(entries[0]!.entry_id).toBeLessThan(entries[1]!.entry_id);
    expect(entries[1]!.entry_id).toBeLessThan(entries[2]!.entry_id);
    const { rows } = await ctx.db.pg.query<{ account: string; amount: number; card_id: number | null }>(
      'select account, amount, card_id from postings where entry_id = $1 order by amount desc', [entries[0]!.entry_id]);
    expect(rows).toEqual([
      { account: account.cardValue(a!), amount: 700, card_id: a },
      { account: account.issuer(seed.issuerId), amount: -700, card_id: null },
    ]);
    expect(await balances([a!, b!])).toEqual([{ card_id: a, balance: 900 }, { card_id: b, balance: 300 }]);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('throws BulkCreditRaced when a card would end over its maximum (its balance was raised since the decision), and the rollback leaves nothing', async () => {
    const [a, b] = seed.cardIds; // a holds 900, b 300 from the test before
    const before = await counts();
    await expect(withSource(creditRows(`(1, ${b}, 100, 1000), (2, ${a}, 60, 1000), (3, ${a}, 50, 1000)`),
      (c, date) => postCardCredits(c, date, 'bulk_load', ctx.clock.now(), 'src'))).rejects.toBeInstanceOf(BulkCreditRaced);
    expect(await counts()).toEqual(before);
    expect(await balances([a!, b!])).toEqual([{ card_id: a, balance: 900 }, { card_id: b, balance: 300 }]);
  });

  it('refuses a row that credits zero, posting nothing', async () => {
    const c = seed.cardIds[2]!;
    const before = await counts();
    await expect(withSource(creditRows(`(1, ${c}, 0, 1000)`),
      (cl, date) => postCardCredits(cl, date, 'bulk_load', ctx.clock.now(), 'src'))).rejects.toMatchObject({ code: 'bulk_nonpositive' });
    expect(await counts()).toEqual(before);
  });
});

describe('set-based two-leg entries (postPairedEntries)', () => {
  const pairRows = (rows: string) => `
    select account::text, counter_account::text, 'CNY'::text as asset, amount::bigint, jsonb_build_object('n', n) as memo
    from (values ${rows}) v(n, account, counter_account, amount)`;

  it('posts one balanced entry per row, account +amount and counter −amount, numbered by account', async () => {
    const n = await withSource(pairRows(`(1, 'merchant:9', 'settled:merchant_9', -250), (2, 'channel:4', 'settled:channel_4', 40)`),
      (c, date) => postPairedEntries(c, date, 'settlement', ctx.clock.now(), 'src'));
    expect(n).toBe(2);
    const { rows } = await ctx.db.pg.query<{ entry_id: number; account: string; amount: number; memo: { n: number } }>(`
      select p.entry_id, p.account, p.amount, e.memo from postings p join entries e on e.id = p.entry_id
      where e.kind = 'settlement' order by p.entry_id, p.amount`);
    const [first, second] = [rows[0]!.entry_id, rows[2]!.entry_id];
    expect(first).toBeLessThan(second);
    expect(rows.map(({ entry_id, ...r }) => ({ entry: entry_id === first ? 1 : 2, ...r }))).toEqual([
      { entry: 1, account: 'settled:channel_4', amount: -40, memo: { n: 2 } },
      { entry: 1, account: 'channel:4', amount: 40, memo: { n: 2 } },
      { entry: 2, account: 'merchant:9', amount: -250, memo: { n: 1 } },
      { entry: 2, account: 'settled:merchant_9', amount: 250, memo: { n: 1 } },
    ]);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('refuses a row that moves nothing or names a card account, posting nothing', async () => {
    const before = await counts();
    await expect(withSource(pairRows(`(1, 'merchant:9', 'settled:merchant_9', 0)`),
      (c, date) => postPairedEntries(c, date, 'settlement', ctx.clock.now(), 'src'))).rejects.toMatchObject({ code: 'bulk_zero_amount' });
    await expect(withSource(pairRows(`(1, '${account.cardValue(seed.cardIds[0]!)}', 'issuer:${seed.issuerId}', 5)`),
      (c, date) => postPairedEntries(c, date, 'settlement', ctx.clock.now(), 'src'))).rejects.toMatchObject({ code: 'bulk_card_account' });
    await expect(withSource(pairRows(`(1, 'issuer:${seed.issuerId}', '${account.cardValue(seed.cardIds[0]!)}', 5)`),
      (c, date) => postPairedEntries(c, date, 'settlement', ctx.clock.now(), 'src'))).rejects.toMatchObject({ code: 'bulk_card_account' });
    expect(await counts()).toEqual(before);
  });
});
