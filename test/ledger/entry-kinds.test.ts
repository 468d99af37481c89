import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { ENTRY_KINDS } from '../../src/ledger/entry-kinds.js';
import { balancedEntry, type EntryKind } from '../../src/ledger/entry.js';
import { postEntries } from '../../src/ledger/post.js';
import { withTransaction } from '../../src/db/tx.js';
import { sqlState } from '../../src/db/errors.js';

const ctx = await testContext();

describe('entry kinds: one table that TypeScript and SQL both read', () => {
  it('the entry_kinds table and ENTRY_KINDS agree row for row', async () => {
    const { rows } = await ctx.db.pg.query<{ kind: string; category: string; counted: boolean; cohort_flow: string; activity: boolean }>(
      'select kind, category, counted, cohort_flow, activity from entry_kinds order by kind');
    const table = Object.fromEntries(rows.map((r) => [r.kind, { category: r.category, counted: r.counted, cohortFlow: r.cohort_flow, activity: r.activity }]));
    expect(table).toEqual(ENTRY_KINDS);
  });

  it('compiles the kinds the check compares against from the table (purse_entry_kinds)', async () => {
    const { rows } = await ctx.db.pg.query<{ list: string[]; kinds: string[] }>(
      'select purse_entry_kinds() as list, array(select kind from entry_kinds order by kind) as kinds');
    expect([...rows[0]!.list].sort()).toEqual([...rows[0]!.kinds].sort());
    expect([...rows[0]!.list].sort()).toEqual(Object.keys(ENTRY_KINDS).sort());
  });

  it('refuses an entry of a kind the table does not list, and posts nothing of its statement', async () => {
    const legs = [{ account: 'issuer:1', asset: 'CNY', amount: 5 }, { account: 'revenue:card_fees', asset: 'CNY', amount: -5 }];
    const at = ctx.clock.now();
    const err = await withTransaction(ctx.db.pg, (c) => postEntries(c, '2026-01-05', [
      balancedEntry('card_fee', legs, { occurredAt: at }),
      balancedEntry('gift_wrap' as EntryKind, legs, { occurredAt: at }),
    ])).catch((e: unknown) => e);
    expect(sqlState(err)).toBe('23503');
    expect(String((err as Error).message)).toContain('gift_wrap');
    const { rows } = await ctx.db.pg.query('select count(*)::int as n from entries');
    expect(rows[0].n).toBe(0);
  });

  it('refuses a void that names as undone a kind the table does not list (settlement would file its legs under it)', async () => {
    const legs = [{ account: 'issuer:1', asset: 'CNY', amount: 5 }, { account: 'revenue:card_fees', asset: 'CNY', amount: -5 }];
    const post = (reverses: string) => withTransaction(ctx.db.pg, (c) => postEntries(c, '2026-01-05', [
      balancedEntry('void', legs, { occurredAt: ctx.clock.now(), memo: { reverses } }),
    ]));
    expect(sqlState(await post('purchse').catch((e: unknown) => e))).toBe('23503');
    expect(await post('purchase')).toHaveLength(1);
  });

  it('keeps its rows fixed: no update, delete or truncate', async () => {
    for (const sql of [
      "update entry_kinds set category = 'purchase' where kind = 'refund'",
      "delete from entry_kinds where kind = 'payment'",
      'truncate entry_kinds',
    ]) {
      const err = await ctx.db.pg.query(sql).catch((e: unknown) => e);
      expect(sqlState(err), sql).toBe('42501');
    }
    const { rows } = await ctx.db.pg.query("select category from entry_kinds where kind = 'refund'");
    expect(rows[0].category).toBe('refund');
  });
});
