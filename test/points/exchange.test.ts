import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { legsOf, lotsOf, runPoints, seedPoints } from '../helpers/points.js';
import { preparePointsLoad } from '../../src/points/earn.js';
import { prepareExchange } from '../../src/points/exchange.js';
import { setRate } from '../../src/registry/schemes.js';
import { verifyLedger } from '../../src/ledger/verify.js';

const ctx = await testContext();
const seed = await seedPoints(ctx);
const [c1] = seed.cards as [number];
const { COFFEE, SHOP } = seed.merchants;
const { AIR, MALL } = seed.schemes;

await setRate(ctx, { from: 'AIR', to: 'MALL', rate: '0.333333', effectiveAt: '2026-03-01T00:00:00+08:00' });
await setRate(ctx, { from: 'AIR', to: 'MALL', rate: '0.5', effectiveAt: '2026-03-10T12:00:00+08:00' });
await runPoints(ctx, (db) => preparePointsLoad(ctx, db, { cardId: c1, merchantId: COFFEE, points: 1000, at: ctx.clock.now() }));

describe('points_exchange', () => {
  it('uses the rate in force when the request arrived, not a later one, and floors p2', async () => {
    // The request arrived at 11:59; the 0.5 rate takes effect at 12:00 and the clock has moved past it.
    const arrived = new Date('2026-03-10T11:59:00+08:00');
    ctx.clock.set('2026-03-10T12:01:00+08:00');
    const { outcome, entryIds } = await runPoints(ctx, (db) => prepareExchange(ctx, db, { cardId: c1, merchantId: SHOP, points: 100, toScheme: 'MALL', at: arrived }));
    // p2 = floor(100 × 0.333333) = 33. AIR float -r(100 × 0.9876) = -99; MALL float +r(33 × 0.5 = 16.5) = 17; spread 82.
    expect(outcome).toMatchObject({ approved: true, code: '00', detail: { to_points: 33, rate_micro: 333_333 } });
    expect(await legsOf(ctx, entryIds[0]!)).toEqual({
      [`card:${c1}:points:AIR PTS:AIR`]: -100, [`scheme:${AIR}:issued PTS:AIR`]: 100,
      [`card:${c1}:points:MALL PTS:MALL`]: 33, [`scheme:${MALL}:issued PTS:MALL`]: -33,
      [`scheme:${AIR}:float CNY`]: -99, [`scheme:${MALL}:float CNY`]: 17, 'revenue:points_spread CNY': 82,
    });
    expect((await lotsOf(ctx, c1, MALL)).map((l) => [l.points, l.expires_at])).toEqual([[33, null]]); // MALL never expires
  });

  it('uses the newer rate for a request arriving after it took effect', async () => {
    const { outcome, entryIds } = await runPoints(ctx, (db) => prepareExchange(ctx, db, { cardId: c1, merchantId: SHOP, points: 101, toScheme: 'MALL', at: new Date('2026-03-10T12:00:00+08:00') }));
    // p2 = floor(50.5) = 50. AIR float -r(99.7476) = -100; MALL float +25; spread 75.
    expect(outcome).toMatchObject({ approved: true, detail: { to_points: 50, rate_micro: 500_000 } });
    expect(await legsOf(ctx, entryIds[0]!)).toMatchObject({ [`scheme:${AIR}:float CNY`]: -100, [`scheme:${MALL}:float CNY`]: 25, 'revenue:points_spread CNY': 75 });
  });

  it('declines 12 without a rate in force, 13 when p2 would be 0, 51 above the spendable points, 57 where a scheme is not accepted', async () => {
    const at = ctx.clock.now();
    const run = (req: Partial<Parameters<typeof prepareExchange>[2]>) =>
      runPoints(ctx, (db) => prepareExchange(ctx, db, { cardId: c1, merchantId: SHOP, points: 10, toScheme: 'MALL', at, ...req })).then((r) => r.outcome);
    expect(await run({ at: new Date('2026-02-28T00:00:00+08:00') })).toMatchObject({ approved: false, code: '12' }); // before any rate
    expect(await run({ scheme: 'MALL', toScheme: 'AIR' })).toMatchObject({ approved: false, code: '12' }); // no MALL→AIR rate
    expect(await run({ toScheme: 'NOPE' })).toMatchObject({ approved: false, code: '12' });
    expect(await run({ toScheme: 'AIR' })).toMatchObject({ approved: false, code: '12' }); // same scheme
    expect(await run({ points: 1 })).toMatchObject({ approved: false, code: '13' }); // floor(0.5) = 0
    expect(await run({ points: 800 })).toMatchObject({ approved: false, code: '51' }); // 1000 - 100 - 101 = 799 left
    expect(await run({ merchantId: COFFEE })).toMatchObject({ approved: false, code: '57' }); // COFFEE does not accept MALL
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });
});
