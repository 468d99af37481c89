import { expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';

// Migration 000351: transactions.request_id's check, spelled to be fast, accepts exactly what the
// check of 000010 accepted.
const ctx = await testContext();

it('the request_id check accepts the same strings as before, and is the fast spelling', async () => {
  const samples = ['a', 'A-z_0.9:x', 'x'.repeat(64), 'x'.repeat(65), '', 'has space', 'ünï', 'a/b', '订单1', 'a\nb', "o'k"];
  const { rows } = await ctx.db.pg.query<{ s: string; old: boolean; now: boolean }>(`
    select s, s ~ '^[A-Za-z0-9_.:-]{1,64}$' as old,
           (s ~ '^[A-Za-z0-9_.:-]+$' and length(s) <= 64) as now
    from unnest($1::text[]) as s`, [samples]);
  for (const r of rows) expect({ s: r.s, accepted: r.now }).toEqual({ s: r.s, accepted: r.old });
  expect(rows.filter((r) => r.now).map((r) => r.s)).toEqual(['a', 'A-z_0.9:x', 'x'.repeat(64)]);
  const { rows: [c] } = await ctx.db.pg.query<{ def: string }>(
    "select pg_get_constraintdef(oid) as def from pg_constraint where conrelid = 'transactions'::regclass and conname = 'transactions_request_id_check'");
  expect(c!.def).toBe("CHECK (((request_id ~ '^[A-Za-z0-9_.:-]+$'::text) AND (length(request_id) <= 64)))");
});
