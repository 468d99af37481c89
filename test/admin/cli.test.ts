import { beforeAll, describe, expect, it } from 'vitest';
import { testContext, type TestContext } from '../helpers/db.js';
import { runCli } from '../helpers/cli.js';
import { seedBasics } from '../helpers/seed.js';

let ctx: TestContext;
const purse = (args: string[], input = '') => runCli(args, ctx.env, input);

beforeAll(async () => {
  ctx = await testContext();
  await seedBasics(ctx, 1);
});

describe('purse operator and purse audit list', () => {
  it('adds operators with the password from standard input only, never echoing it', async () => {
    const add = await purse(['operator', 'add', '--username', 'ann', '--role', 'issuer_ops', '--issuer', 'ISS', '--json'], 'a long enough secret\n');
    expect(add.code, add.stderr).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({ username: 'ann', role: 'issuer_ops', issuer: 'ISS', disabled: false });
    expect(add.stdout + add.stderr).not.toContain('a long enough secret');
    const weak = await purse(['operator', 'add', '--username', 'bo', '--role', 'finance'], 'short\n');
    expect([weak.code, weak.stderr]).toEqual([1, expect.stringContaining('(field: password)')]);
    const scope = await purse(['operator', 'add', '--username', 'cy', '--role', 'merchant_admin'], 'a long enough secret\n');
    expect([scope.code, scope.stderr]).toEqual([1, expect.stringContaining('(field: merchant)')]);
    const stored = await ctx.db.pg.query("select password_hash from operators where username = 'ann'");
    expect(stored.rows[0].password_hash).toMatch(/^scrypt\$16384\$8\$1\$/);
  });

  it('lists, shows, disables and resets passwords; every write is audited as cli:<os user>', async () => {
    const list = await purse(['operator', 'list', '--json']);
    expect(JSON.parse(list.stdout).map((o: { username: string }) => o.username)).toEqual(['ann']);
    expect(JSON.parse((await purse(['operator', 'show', 'ann', '--json'])).stdout).role).toBe('issuer_ops');
    expect((await purse(['operator', 'disable', 'ann'])).code).toBe(0);
    expect(JSON.parse((await purse(['operator', 'show', 'ann', '--json'])).stdout).disabled).toBe(true);
    expect((await purse(['operator', 'reset-password', 'ann'], 'another long secret\n')).code).toBe(0);
    expect((await purse(['merchant', 'add', '--code', 'MZ'])).code).toBe(0);
    const audit = await purse(['audit', 'list', '--json']);
    const rows = JSON.parse(audit.stdout) as { actor: string; action: string; target: string; at: string }[];
    expect(rows.map((r) => `${r.action} ${r.target}`)).toEqual([
      'operator.add operator:ann', 'operator.update operator:ann', 'operator.reset_password operator:ann', 'merchant.add merchant:MZ',
    ]);
    for (const r of rows) {
      expect(r.actor).toMatch(/^cli:\S+$/);
      expect(r.at).toMatch(/\+08:00$/);
    }
    const filtered = await purse(['audit', 'list', '--target', 'merchant:MZ', '--json']);
    expect(JSON.parse(filtered.stdout)).toHaveLength(1);
    const bad = await purse(['audit', 'list', '--from', 'yesterday']);
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringContaining('(field: from)')]);
  });
});
