import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { seedBasics } from '../helpers/seed.js';
import { runCli } from '../helpers/cli.js';
import { pinHmac } from '../../src/cards/vault.js';

const ctx = await testContext();
const seed = await seedBasics(ctx, 2);
const [c0, c1] = seed.cardIds as [number, number];
const pinRow = async (id: number) => (await ctx.db.pg.query<{ pin_hmac: Buffer | null; pin_tries: number }>(
  'select pin_hmac, pin_tries from cards where id = $1', [id])).rows[0]!;

describe('purse cards set-pin', () => {
  it('stores only the keyed HMAC of (card, PIN) read from standard input, and clears the try counter', async () => {
    await ctx.db.pg.query('update cards set pin_tries = 3 where id = $1', [c0]);
    const r = await runCli(['cards', 'set-pin', '--card-id', String(c0), '--json'], ctx.env, '2468\n');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ card_id: c0, pin_tries: 0 });
    const row = await pinRow(c0);
    expect(row.pin_hmac!.equals(pinHmac(ctx.keys, c0, '2468'))).toBe(true);
    expect(row.pin_tries).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('2468');
  });

  it('refuses a PIN that is not 4-6 digits, naming the field and changing nothing', async () => {
    for (const bad of ['12', '1234567', '12a4', '']) {
      const r = await runCli(['cards', 'set-pin', '--card-id', String(c1)], ctx.env, `${bad}\n`);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('field: pin');
    }
    expect((await pinRow(c1)).pin_hmac).toBeNull();
  });

  it('takes no PIN on the command line, where process listings would show it', async () => {
    const r = await runCli(['cards', 'set-pin', '--card-id', String(c1), '--pin', '1234'], ctx.env);
    expect(r.code).toBe(2);
    expect((await pinRow(c1)).pin_hmac).toBeNull();
  });
});
