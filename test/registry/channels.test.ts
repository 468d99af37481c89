import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { expectRefused } from '../helpers/registry.js';
import { addMerchant } from '../../src/registry/merchants.js';
import { addChannel, allowMerchants, channelSecrets, listChannels, rotateChannelSecret, showChannel } from '../../src/registry/channels.js';
import { decrypt } from '../../src/cards/vault.js';

const ctx = await testContext();
await addMerchant(ctx, { code: 'M1' });
await addMerchant(ctx, { code: 'M2' });
await addMerchant(ctx, { code: 'M3' });

/** Rows of `channels` whose any column, as text, contains `needle` in clear or as hex of its bytes. */
async function rowsContaining(needle: string): Promise<number> {
  const hex = Buffer.from(needle, 'utf8').toString('hex');
  const { rows } = await ctx.db.pg.query<{ n: number }>(
    `select count(*)::int as n from channels c where c::text like '%' || $1 || '%' or c::text like '%' || $2 || '%'`, [needle, hex]);
  return rows[0]!.n;
}

describe('channels', () => {
  let firstSecret = '';

  it('adds a channel with its merchants and fee and returns the secret once', async () => {
    const c = await addChannel(ctx, { code: 'POS', name: 'POS net', merchants: 'M2,M1', feeFixed: '2', feeBps: '15' });
    expect(c).toMatchObject({ code: 'POS', name: 'POS net', fee_fixed: 2, fee_bps: 15, merchants: ['M1', 'M2'], old_secret_until: null });
    expect(c.secret).toMatch(/^[0-9a-f]{64}$/);
    firstSecret = c.secret;
    const shown = await showChannel(ctx, 'POS');
    expect(shown).not.toHaveProperty('secret');
    expect(JSON.stringify(shown)).not.toContain(c.secret);
    expect(JSON.stringify(await listChannels(ctx))).not.toContain(c.secret);
  });

  it('stores the secret only encrypted, readable with the key id it names', async () => {
    expect(await rowsContaining(firstSecret)).toBe(0);
    const { rows } = await ctx.db.pg.query('select secret_cipher, secret_key_id from channels where code = $1', ['POS']);
    expect(rows[0].secret_key_id).toBe(ctx.keys.current);
    expect(decrypt(ctx.keys, rows[0].secret_cipher, rows[0].secret_key_id)).toBe(firstSecret);
  });

  it('rotate-secret keeps the old secret valid until the overlap ends', async () => {
    const { id } = await showChannel(ctx, 'POS');
    const t0 = ctx.clock.now();
    const r = await rotateChannelSecret(ctx, 'POS', '2');
    expect(r.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(r.secret).not.toBe(firstSecret);
    expect(r.old_secret_until).toBe(new Date(t0.getTime() + 2 * 3_600_000).toISOString());
    expect(await rowsContaining(r.secret)).toBe(0);
    expect(await channelSecrets(ctx.db.pg, ctx.keys, id, t0)).toEqual([r.secret, firstSecret]);
    expect(await channelSecrets(ctx.db.pg, ctx.keys, id, new Date(t0.getTime() + 2 * 3_600_000 - 1))).toEqual([r.secret, firstSecret]);
    expect(await channelSecrets(ctx.db.pg, ctx.keys, id, new Date(t0.getTime() + 2 * 3_600_000))).toEqual([r.secret]);
    const again = await rotateChannelSecret(ctx, 'POS', 0);
    expect(await channelSecrets(ctx.db.pg, ctx.keys, id, t0)).toEqual([again.secret]);
    expect(await channelSecrets(ctx.db.pg, ctx.keys, 999_999, t0)).toEqual([]);
  });

  it('lets a channel submit for more merchants', async () => {
    expect((await allowMerchants(ctx, 'POS', 'M3')).merchants).toEqual(['M1', 'M2', 'M3']);
  });

  it.each([
    ['an unknown merchant', { merchants: 'M1,NOPE' }, 'merchants[1]'],
    ['a negative fixed fee', { feeFixed: '-1' }, 'fee_fixed'],
    ['a fractional fixed fee', { feeFixed: '0.5' }, 'fee_fixed'],
    ['basis points above 10000', { feeBps: '10001' }, 'fee_bps'],
    ['a duplicate code', { code: 'POS' }, 'code'],
    ['a bad code', { code: 'with space' }, 'code'],
  ] as const)('refuses %s, naming the field and changing nothing', async (_what, bad, field) => {
    await expectRefused(ctx.db.pg, () => addChannel(ctx, { code: 'NEW', ...bad }), field);
  });

  it('refuses a bad rotation or allowance, changing nothing', async () => {
    await expectRefused(ctx.db.pg, () => rotateChannelSecret(ctx, 'POS', '-1'), 'overlap_hours');
    await expectRefused(ctx.db.pg, () => rotateChannelSecret(ctx, 'NOPE'), 'code');
    await expectRefused(ctx.db.pg, () => allowMerchants(ctx, 'POS', 'NOPE'), 'merchants[0]');
    await expectRefused(ctx.db.pg, () => allowMerchants(ctx, 'NOPE', 'M1'), 'code');
    await expectRefused(ctx.db.pg, () => showChannel(ctx, 'NOPE'), 'code');
  });
});
