import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { pointsOf, runPoints, seedPoints } from '../helpers/points.js';
import { preparePointsLoad } from '../../src/points/earn.js';
import { runBreakage } from '../../src/settlement/breakage.js';
import { verifyLedger } from '../../src/ledger/verify.js';

const ctx = await testContext({ now: '2026-03-10T10:00:00+08:00' });
const seed = await seedPoints(ctx, 1);
const card = seed.cards[0]!;
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-breakage-points-'));

// AIR points are valid 12 months: a lot credited on 2026-03-10 is valid through business date
// 2027-03-31 and expired at its end.
await runPoints(ctx, (db) => preparePointsLoad(ctx, db, { cardId: card, merchantId: seed.merchants.SHOP, points: 250, scheme: 'AIR', at: ctx.clock.now() }));

describe('purse breakage run and points', () => {
  it('leaves points alone before their lots expire, and a dry run posts nothing', async () => {
    ctx.clock.set('2027-04-02T10:00:00+08:00');
    const before = await runBreakage(ctx, { asOf: '2027-03-30', outDir: out });
    expect(before.points).toMatchObject({ points: 0, lots: 0 });
    const dry = await runBreakage(ctx, { asOf: '2027-03-31', dryRun: true, outDir: out });
    expect(dry.points).toBeNull();
    expect(await pointsOf(ctx, card, 'AIR')).toBe(250);
  });

  it('expires the lots past their validity as points breakage, once', async () => {
    const first = await runBreakage(ctx, { asOf: '2027-03-31', outDir: out });
    expect(first.points).toMatchObject({ cards: 1, lots: 1, points: 250, entries: 1 });
    expect(await pointsOf(ctx, card, 'AIR')).toBe(0);
    const again = await runBreakage(ctx, { asOf: '2027-03-31', outDir: out });
    expect(again.points).toMatchObject({ points: 0, entries: 0 });
    const { rows } = await ctx.db.pg.query<{ n: number }>(`select count(*)::int as n from entries where kind = 'points_expiry'`);
    expect(rows[0]!.n).toBe(1);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });
});
