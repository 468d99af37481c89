import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { ensureDemo, DEMO } from '../../src/demo.js';
import { DEMO_HOLDER } from '../../src/holders/demo-holder.js';
import { login } from '../../src/admin/sessions.js';

const ctx = await testContext();

describe('the demo holder', () => {
  it('is linked to every named demo card, once, and logs in with its mobile', async () => {
    await ensureDemo(ctx);
    await ensureDemo(ctx);
    const { rows } = await ctx.db.pg.query<{ code: string; named: boolean; holders: number; unlinked: number }>(
      `select p.code, p.named, count(distinct c.holder_id)::int as holders, count(*) filter (where c.holder_id is null)::int as unlinked
       from cards c join programs p on p.id = c.program_id group by p.code, p.named order by p.code`);
    expect(rows).toEqual([
      { code: DEMO.programs.combo, named: true, holders: 1, unlinked: 0 },
      { code: DEMO.programs.sv, named: false, holders: 0, unlinked: 2 },
    ]);
    expect((await ctx.db.pg.query('select count(*)::int as n from holders')).rows[0].n).toBe(1);
    const r = await login(ctx, { mobile: DEMO_HOLDER.mobile }, DEMO_HOLDER.password, { requestId: 't', source: null });
    expect(r.operator.role).toBe('cardholder');
  });
});
