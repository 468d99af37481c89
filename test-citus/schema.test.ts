import { beforeAll, describe, expect, it } from 'vitest';
import { clusterContext, clusterDatabase } from './helpers/db.js';
import { seedBasics, fundCards, type Basics } from '../test/helpers/seed.js';
import type { TestContext } from '../test/helpers/db.js';

// Design §9: `purse db migrate` against a Citus coordinator places the schema, and the database
// keeps enforcing the ledger's invariants (design §4) on the shards.
describe('purse db migrate on a Citus coordinator', () => {
  let ctx: TestContext;
  let seed: Basics;
  beforeAll(async () => {
    ctx = await clusterContext(await clusterDatabase({ citus: true }));
    seed = await seedBasics(ctx, 4);
    await fundCards(ctx, seed, 10_000);
  });

  it('distributes card tables by card_id and transactions, entries and postings by id in one co-location group, registry tables as reference tables', async () => {
    const { rows } = await ctx.db.pg.query<{ t: string; method: string; col: string | null; colocation: number }>(`
      select logicalrelid::text as t, partmethod as method,
             case when partmethod = 'h' then column_to_column_name(logicalrelid, partkey) end as col, colocationid as colocation
      from pg_dist_partition order by 1`);
    const by = new Map(rows.map((r) => [r.t, r]));
    for (const t of ['cards', 'card_accounts', 'holds', 'points_lots', 'points_lot_moves', 'points_clawbacks', 'lottery_draws', 'card_status_changes', 'dormancy_charges']) {
      expect(by.get(t)?.method, t).toBe('h');
      expect(by.get(t)?.col, t).toBe(t === 'cards' ? 'id' : 'card_id');
      expect(by.get(t)?.colocation, t).toBe(by.get('cards')!.colocation);
    }
    expect(by.get('postings')?.col).toBe('entry_id');
    expect(by.get('postings')?.colocation).toBe(by.get('entries')!.colocation);
    // A message's row, entries and postings are in its card's shard group (migration 000300).
    expect(by.get('entries')?.colocation).toBe(by.get('cards')!.colocation);
    expect(by.get('transactions')?.col).toBe('id');
    expect(by.get('transactions')?.colocation).toBe(by.get('cards')!.colocation);
    expect(by.get('load_references')?.col).toBe('reference');
    for (const t of ['issuers', 'programs', 'merchants', 'channels', 'schemes', 'terminals', 'business_dates', 'card_batches']) {
      expect(by.get(t)?.method, t).toBe('n');
    }
  });

  it('a second migrate places nothing and changes nothing', async () => {
    const before = await ctx.db.pg.query('select count(*)::int as n from pg_dist_partition');
    const { migrate } = await import('../src/db/migrate.js');
    expect(await migrate(ctx.url)).toEqual([]);
    const after = await ctx.db.pg.query('select count(*)::int as n from pg_dist_partition');
    expect(after.rows[0]).toEqual(before.rows[0]);
  });

  it('refuses an unbalanced entry (the statement trigger fires on the shards)', async () => {
    const bad = ctx.db.pg.query(`
      insert into postings (entry_id, account, asset, amount, card_id, business_date, entry_kind)
      values (9000001, 'card:${seed.cardIds[0]}:value', 'CNY', 500, ${seed.cardIds[0]}, '2026-03-10', 'bulk_load'),
             (9000001, 'issuer:${seed.issuerId}', 'CNY', -499, null, '2026-03-10', 'bulk_load')`);
    await expect(bad).rejects.toThrow(/unbalanced entry 9000001: asset CNY sums to 1/);
    const { rows } = await ctx.db.pg.query('select count(*)::int as n from postings where entry_id = 9000001');
    expect(rows[0].n).toBe(0);
  });

  it('refuses a negative card balance', async () => {
    const bad = ctx.db.pg.query(`update card_accounts set balance = balance - 10001 where card_id = $1 and asset = 'CNY'`, [seed.cardIds[1]]);
    await expect(bad).rejects.toThrow(/card_accounts_(balance_)?check|violates check constraint/);
    const { rows } = await ctx.db.pg.query(`select balance::int from card_accounts where card_id = $1 and asset = 'CNY'`, [seed.cardIds[1]]);
    expect(rows[0].balance).toBe(10_000);
  });

  it('refuses changes to postings (append-only on the shards)', async () => {
    await expect(ctx.db.pg.query('update postings set amount = amount where entry_id = (select min(entry_id) from postings)'))
      .rejects.toThrow(/append-only/);
  });
});
