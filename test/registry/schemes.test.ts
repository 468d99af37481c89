import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { expectRefused } from '../helpers/registry.js';
import { addScheme, listRates, listSchemes, setRate, showScheme } from '../../src/registry/schemes.js';

const ctx = await testContext({ now: '2026-03-10T10:00:00+08:00' });

describe('schemes', () => {
  it('stores prices exactly as minor units per 10,000 points', async () => {
    const s = await addScheme(ctx, { code: 'MALL', name: 'Mall points', issuePrice: '1.2', redemptionValue: '0.0001', salePrice: '1.15', validityMonths: '24' });
    expect(s).toMatchObject({ code: 'MALL', name: 'Mall points', currency: 'CNY', issue_price: 12_000, redemption_value: 1, sale_price: 11_500, validity_months: 24 });
    expect(await showScheme(ctx, 'MALL')).toEqual(s);
  });

  it('defaults the sale price to the issue price and points to never expire', async () => {
    const s = await addScheme(ctx, { code: 'CAFE', issuePrice: '3', redemptionValue: '2.5' });
    expect(s).toMatchObject({ issue_price: 30_000, redemption_value: 25_000, sale_price: 30_000, validity_months: null });
    expect((await listSchemes(ctx)).map((x) => x.code)).toEqual(['CAFE', 'MALL']);
  });

  it.each([
    ['a negative issue price', { issuePrice: '-1' }, 'issue_price'],
    ['a price with 5 decimals', { issuePrice: '0.00015' }, 'issue_price'],
    ['a price in exponent form', { redemptionValue: '1e-4' }, 'redemption_value'],
    ['a missing redemption value', { redemptionValue: undefined }, 'redemption_value'],
    ['a bad sale price', { salePrice: 'cheap' }, 'sale_price'],
    ['a zero validity', { validityMonths: '0' }, 'validity_months'],
    ['a lower-case currency', { currency: 'cny' }, 'currency'],
    ['a duplicate code', { code: 'MALL' }, 'code'],
  ] as const)('refuses %s, naming the field and changing nothing', async (_what, bad, field) => {
    await expectRefused(ctx.db.pg, () => addScheme(ctx, { code: 'NEW', issuePrice: '1', redemptionValue: '1', ...bad }), field);
  });
});

describe('exchange rates', () => {
  it('publishes a rate exactly to 6 decimals, in force from the context clock by default', async () => {
    const r = await setRate(ctx, { from: 'MALL', to: 'CAFE', rate: '0.123456' });
    expect(r).toEqual({ from: 'MALL', to: 'CAFE', rate: '0.123456', rate_micro: 123_456, effective_at: ctx.clock.now().toISOString() });
  });

  it('keeps every version of a rate, newest first per pair', async () => {
    await setRate(ctx, { from: 'MALL', to: 'CAFE', rate: '0.5', effectiveAt: '2026-04-01T00:00:00+08:00' });
    await setRate(ctx, { from: 'CAFE', to: 'MALL', rate: '2', effectiveAt: '2026-01-01' }); // midnight in Shanghai
    expect(await listRates(ctx)).toEqual([
      { from: 'CAFE', to: 'MALL', rate: '2', rate_micro: 2_000_000, effective_at: '2025-12-31T16:00:00.000Z' },
      { from: 'MALL', to: 'CAFE', rate: '0.5', rate_micro: 500_000, effective_at: '2026-03-31T16:00:00.000Z' },
      { from: 'MALL', to: 'CAFE', rate: '0.123456', rate_micro: 123_456, effective_at: '2026-03-10T02:00:00.000Z' },
    ]);
  });

  it.each([
    ['a negative rate', { rate: '-0.5' }, 'rate'],
    ['a zero rate', { rate: '0' }, 'rate'],
    ['a rate with 7 decimals', { rate: '0.1234567' }, 'rate'],
    ['an unknown source scheme', { from: 'NOPE' }, 'from'],
    ['an unknown target scheme', { to: 'NOPE' }, 'to'],
    ['the same scheme on both sides', { to: 'MALL' }, 'to'],
    ['a malformed effective time', { effectiveAt: 'tomorrow' }, 'effective_at'],
    ['an effective time without an offset', { effectiveAt: '2026-05-01T00:00:00' }, 'effective_at'],
    ['an impossible date', { effectiveAt: '2026-02-30' }, 'effective_at'],
    ['a second rate at the same effective time', { effectiveAt: '2026-04-01T00:00:00+08:00' }, 'effective_at'],
  ] as const)('refuses %s, naming the field and changing nothing', async (_what, bad, field) => {
    await expectRefused(ctx.db.pg, () => setRate(ctx, { from: 'MALL', to: 'CAFE', rate: '1', ...bad }), field);
  });
});
