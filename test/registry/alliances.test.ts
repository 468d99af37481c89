import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { expectRefused } from '../helpers/registry.js';
import { addScheme } from '../../src/registry/schemes.js';
import { addAlliance, listAlliances, showAlliance } from '../../src/registry/alliances.js';
import { addMerchant, showMerchant } from '../../src/registry/merchants.js';

const ctx = await testContext();
await addScheme(ctx, { code: 'MALL-PTS', issuePrice: '1', redemptionValue: '1' });

describe('alliances', () => {
  it('adds an alliance with its scheme and shows its member merchants', async () => {
    const a = await addAlliance(ctx, { code: 'MALL', name: 'Mall', scheme: 'MALL-PTS' });
    expect(a).toMatchObject({ code: 'MALL', name: 'Mall', scheme: 'MALL-PTS', merchants: [] });
    await addMerchant(ctx, { code: 'SHOE', alliances: 'MALL' });
    await addMerchant(ctx, { code: 'BAG', alliances: ['MALL'] });
    expect((await showAlliance(ctx, 'MALL')).merchants).toEqual(['BAG', 'SHOE']);
    expect((await showMerchant(ctx, 'SHOE')).schemes).toEqual(['MALL-PTS']);
  });

  it('adds an alliance without a scheme and lists alliances in code order', async () => {
    expect((await addAlliance(ctx, { code: 'CITY' })).scheme).toBeNull();
    expect((await listAlliances(ctx)).map((a) => a.code)).toEqual(['CITY', 'MALL']);
  });

  it('refuses an unknown scheme, a duplicate code and a bad code, changing nothing', async () => {
    await expectRefused(ctx.db.pg, () => addAlliance(ctx, { code: 'NEW', scheme: 'NOPE' }), 'scheme');
    await expectRefused(ctx.db.pg, () => addAlliance(ctx, { code: 'MALL' }), 'code');
    await expectRefused(ctx.db.pg, () => addAlliance(ctx, { code: '-lead' }), 'code');
    await expectRefused(ctx.db.pg, () => showAlliance(ctx, 'NOPE'), 'code');
  });
});
