import { beforeAll, describe, expect, it } from 'vitest';
import { testContext, type TestContext } from '../helpers/db.js';
import { runCli } from '../helpers/cli.js';
import { seedBasics, type Basics } from '../helpers/seed.js';
import { login } from '../../src/admin/sessions.js';

let ctx: TestContext;
let seed: Basics;
const purse = (args: string[], input = '') => runCli(args, ctx.env, input);
const ADD = ['holder', 'add', '--name', 'Wang Wu', '--id-type', 'resident_id', '--id-number', '110101199003071234', '--mobile', '13911112222', '--json'];

beforeAll(async () => {
  ctx = await testContext();
  seed = await seedBasics(ctx, 2);
});

describe('purse holder', () => {
  it('add (password from standard input), show masked, link, find, forget refused with value then allowed', async () => {
    const add = await purse(ADD, 'holder password 1\n');
    expect(add.code, add.stderr).toBe(0);
    const h = JSON.parse(add.stdout);
    expect(h).toMatchObject({ name: 'W******', id_type: 'resident_id', id_number: '**************1234', mobile: '139****2222', forgotten: false, cards: [] });
    expect(h.one_time_password).toBeUndefined();
    expect(add.stdout + add.stderr).not.toMatch(/Wang Wu|110101199003071234|13911112222|holder password 1/);
    await login(ctx, { mobile: '13911112222' }, 'holder password 1', { requestId: 't', source: null });
    const dup = await purse(ADD, 'holder password 1\n');
    expect([dup.code, dup.stderr]).toEqual([1, expect.stringContaining('(field: mobile)')]);
    const link = await purse(['holder', 'link', '--holder', String(h.id), '--card', seed.pans[0]!, '--json']);
    expect([link.code, JSON.parse(link.stdout).id]).toEqual([0, seed.cardIds[0]]);
    expect(link.stdout).not.toContain(seed.pans[0]);
    const find = await purse(['holder', 'find', '--id-number', '110101199003071234', '--json']);
    expect(JSON.parse(find.stdout).map((x: { id: number }) => x.id)).toEqual([h.id]);
    await ctx.db.pg.query('update card_accounts set balance = 100 where card_id = $1', [seed.cardIds[0]]);
    const refused = await purse(['holder', 'forget', String(h.id)]);
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringContaining('carries value')]);
    await ctx.db.pg.query('update card_accounts set balance = 0 where card_id = $1', [seed.cardIds[0]]);
    const forget = await purse(['holder', 'forget', String(h.id), '--json']);
    expect(JSON.parse(forget.stdout)).toMatchObject({ id: h.id, name: null, mobile: null, forgotten: true });
    const audit = await ctx.db.pg.query("select action, actor from audit_log where target = $1 order by id", [`holder:${h.id}`]);
    expect(audit.rows.map((r) => r.action)).toEqual(['holder.add', 'holder.link', 'holder.forget']);
    expect(audit.rows[0].actor).toMatch(/^cli:/);
  });

  it('add without a password prints a one-time password once', async () => {
    const add = await purse(['holder', 'add', '--name', 'Zhao Liu', '--id-type', 'passport', '--id-number', 'E7654321', '--mobile', '13722223333', '--json']);
    expect(add.code, add.stderr).toBe(0);
    const h = JSON.parse(add.stdout);
    expect(h.one_time_password).toMatch(/^[A-Za-z0-9_-]{16}$/);
    await login(ctx, { mobile: '13722223333' }, h.one_time_password, { requestId: 't', source: null });
    const show = await purse(['holder', 'show', String(h.id), '--json']);
    expect(JSON.parse(show.stdout).one_time_password).toBeUndefined();
  });
});
