import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';

// purse_shard_ids (migrations 000300, 000350) draws the ids a Citus batch writes into one shard.
const ctx = await testContext();

describe('purse_shard_ids', () => {
  it('returns ids whose hash is in the range, and all values without one', async () => {
    const { rows: [r] } = await ctx.db.pg.query<{ ids: string[]; inside: boolean }>(`
      select ids, (select bool_and(hashint8(v) between -2147483648 and -2013265921) from unnest(ids) v) as inside
      from (select purse_shard_ids('transactions', 5, -2147483648, -2013265921) as ids) x`);
    expect(r!.ids).toHaveLength(5);
    expect(r!.inside).toBe(true);
    const { rows: [all] } = await ctx.db.pg.query<{ ids: string[] }>("select purse_shard_ids('transactions', 3, null, null) as ids");
    expect(all!.ids.map(Number)).toEqual([Number(all!.ids[0]), Number(all!.ids[0]) + 1, Number(all!.ids[0]) + 2]);
  });

  it('refuses an empty range at once instead of drawing forever', async () => {
    await expect(ctx.db.pg.query("select purse_shard_ids('transactions', 1, 10, -10)")).rejects.toThrow(/shard_range: empty hash range \[10, -10\]/);
    await expect(ctx.db.pg.query("select purse_shard_ids('transactions', 1, 10, null)")).rejects.toThrow(/shard_range/);
  });
});
