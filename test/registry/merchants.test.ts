import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { expectRefused } from '../helpers/registry.js';
import { addIssuer } from '../../src/registry/issuers.js';
import { addScheme } from '../../src/registry/schemes.js';
import { addProgram } from '../../src/registry/programs.js';
import { addAlliance } from '../../src/registry/alliances.js';
import { ensureWebSeat } from '../../src/admin/web-seat.js';
import { addMerchant, addTerminal, listMerchants, listTerminals, showMerchant, showTerminal } from '../../src/registry/merchants.js';

const ctx = await testContext();
await addIssuer(ctx, { code: 'ISS' });
await addProgram(ctx, { code: 'P1', issuer: 'ISS', bin: '622000' });
await addProgram(ctx, { code: 'P2', issuer: 'ISS', bin: '622001' });
for (const code of ['ALLY-PTS', 'OWN-PTS', 'EXTRA-PTS']) await addScheme(ctx, { code, issuePrice: '1', redemptionValue: '1' });
await addAlliance(ctx, { code: 'ALLY', scheme: 'ALLY-PTS' });

describe('merchants', () => {
  it('stores commission, earn rule, alliances and accepted programs and schemes', async () => {
    const m = await addMerchant(ctx, {
      code: 'CAFE', name: 'Cafe', commissionBps: '150', earnScheme: 'OWN-PTS', earnRate: '2', earnCap: '500',
      alliances: 'ALLY', programs: 'P2,P1', schemes: 'EXTRA-PTS',
    });
    expect(m).toMatchObject({
      code: 'CAFE', name: 'Cafe', commission_bps: 150, earn_scheme: 'OWN-PTS', earn_rate: 2, earn_cap: 500,
      alliances: ['ALLY'], programs: ['P1', 'P2'], terminals: [],
    });
    // Accepted schemes: the extras, the alliance's scheme and its own earn scheme.
    expect(m.schemes).toEqual(['ALLY-PTS', 'EXTRA-PTS', 'OWN-PTS']);
    expect(await showMerchant(ctx, 'CAFE')).toEqual(m);
  });

  it('defaults to no commission, no earn rule and every program', async () => {
    const m = await addMerchant(ctx, { code: 'PLAIN' });
    expect(m).toMatchObject({ name: 'PLAIN', commission_bps: 0, earn_scheme: null, earn_rate: null, earn_cap: null, alliances: [], programs: [], schemes: [] });
    expect((await listMerchants(ctx)).map((x) => x.code)).toEqual(['CAFE', 'PLAIN']);
  });

  it.each([
    ['a negative commission', { commissionBps: '-1' }, 'commission_bps'],
    ['a commission above 100%', { commissionBps: '10001' }, 'commission_bps'],
    ['an earn scheme without a rate', { earnScheme: 'OWN-PTS' }, 'earn_rate'],
    ['an earn rate without a scheme', { earnRate: '1' }, 'earn_scheme'],
    ['a negative earn rate', { earnScheme: 'OWN-PTS', earnRate: '-1' }, 'earn_rate'],
    ['an earn cap without a rule', { earnCap: '10' }, 'earn_cap'],
    ['an unknown earn scheme', { earnScheme: 'NOPE', earnRate: '1' }, 'earn_scheme'],
    ['an unknown alliance', { alliances: 'NOPE' }, 'alliances[0]'],
    ['an unknown second program', { programs: 'P1,NOPE' }, 'programs[1]'],
    ['an unknown scheme', { schemes: ['NOPE'] }, 'schemes[0]'],
    ['a malformed alliance code', { alliances: 'bad code!' }, 'alliances[0]'],
    ['a duplicate code', { code: 'CAFE' }, 'code'],
  ] as const)('refuses %s, naming the field and changing nothing', async (_what, bad, field) => {
    await expectRefused(ctx.db.pg, () => addMerchant(ctx, { code: 'NEW', alliances: 'ALLY', ...bad }), field);
  });

  it('reports an unknown merchant on show', async () => {
    await expectRefused(ctx.db.pg, () => showMerchant(ctx, 'NOPE'), 'code');
  });
});

describe('terminals', () => {
  it('adds terminals with codes unique per merchant and lists and shows them', async () => {
    const t = await addTerminal(ctx, { merchant: 'CAFE', code: 'T001' });
    await addTerminal(ctx, { merchant: 'CAFE', code: 'T002' });
    await addTerminal(ctx, { merchant: 'PLAIN', code: 'T001' });
    expect(t).toMatchObject({ code: 'T001', merchant: 'CAFE' });
    expect(await showTerminal(ctx, 'CAFE', 'T001')).toEqual(t);
    expect((await listTerminals(ctx)).map((x) => `${x.merchant}/${x.code}`)).toEqual(['CAFE/T001', 'CAFE/T002', 'PLAIN/T001']);
    expect((await listTerminals(ctx, 'PLAIN')).map((x) => x.code)).toEqual(['T001']);
    expect((await showMerchant(ctx, 'CAFE')).terminals).toEqual(['T001', 'T002']);
  });

  it('refuses a duplicate terminal, an unknown merchant and a bad code', async () => {
    await expectRefused(ctx.db.pg, () => addTerminal(ctx, { merchant: 'CAFE', code: 'T001' }), 'code');
    await expectRefused(ctx.db.pg, () => addTerminal(ctx, { merchant: 'NOPE', code: 'T009' }), 'merchant');
    await expectRefused(ctx.db.pg, () => addTerminal(ctx, { merchant: 'CAFE', code: '' }), 'code');
    await expectRefused(ctx.db.pg, () => showTerminal(ctx, 'CAFE', 'T999'), 'code');
  });
});

describe('the WEB-SEAT channel', () => {
  it('lets the WEB-SEAT channel, once it exists, submit for every merchant added later', async () => {
    await ensureWebSeat(ctx);
    const m = await addMerchant(ctx, { code: 'LATER' });
    const { rows } = await ctx.db.pg.query(
      "select 1 from channel_merchants x join channels c on c.id = x.channel_id where c.code = 'WEB-SEAT' and x.merchant_id = $1", [m.id]);
    expect(rows).toHaveLength(1);
  });
});
