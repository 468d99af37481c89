import { describe, expect, it } from 'vitest';
import { daemonFixture } from '../helpers/daemon.js';
import { queriesDuring } from '../helpers/queries.js';
import { seedPointsDaemon, type PointsDaemonSeed } from '../helpers/points.js';
import { verifyLedger } from '../../src/ledger/verify.js';

// The points types decide over the batch's prefetched points state (design §2). Messages arriving
// together for one card go into one batch (one batch worker); each points decision there is made on
// the lots as prefetched, so a second one on the same card waits for the next batch, and every
// answer is as if the messages had been decided one after another.
let pts!: PointsDaemonSeed;
const f = await daemonFixture({
  cards: 1, channelMerchants: ['M1', 'COFFEE', 'SHOP'], batch: { concurrency: 1 },
  setup: async (ctx) => void (pts = await seedPointsDaemon(ctx, 2)),
});
const at = (m: 'COFFEE' | 'SHOP') => ({ merchant: m, terminal: 'T1' });

async function points(card: number): Promise<{ balance: number; lots: number }> {
  const { rows: [r] } = await f.ctx.db.pg.query<{ balance: number; lots: number }>(`
    select coalesce((select balance from card_accounts where card_id = $1 and asset = 'PTS:AIR'), 0)::bigint as balance,
           coalesce((select sum(remaining) from points_lots where card_id = $1), 0)::bigint as lots`, [card]);
  return r!;
}

describe('points messages for one card in one batch', () => {
  it('concurrent redeems and draws on one card spend exactly the points it has, lots matching the balance, without retries', async () => {
    const load = await f.send({ ...at('COFFEE'), request_id: 'pb-load', type: 'points_load', card: pts.pans[0], amount: 1_000 });
    expect(load.body).toMatchObject({ response_code: '00' });
    const before = f.daemon.core.metrics.batchCounts.batches;
    const answers = await Promise.all([
      ...Array.from({ length: 6 }, (_, n) => f.send({ ...at('SHOP'), request_id: `pb-r${n}`, type: 'points_redeem', card: pts.pans[0], amount: 200 })),
      f.send({ ...at('COFFEE'), request_id: 'pb-draw', type: 'lottery', card: pts.pans[0], game: 'WIN' }),
      f.send({ ...at('COFFEE'), request_id: 'pb-other', type: 'points_load', card: pts.pans[1], amount: 50 }),
    ]);
    const codes = answers.map((a) => a.body.response_code);
    const redeemed = answers.slice(0, 6).filter((a) => a.body.response_code === '00').length * 200;
    const drew = answers[6]!.body.response_code === '00';
    // WIN costs 100 and always pays 30 back.
    expect(redeemed + (drew ? 70 : 0)).toBeLessThanOrEqual(1_000);
    expect(codes.every((c) => c === '00' || c === '51')).toBe(true);
    const left = 1_000 - redeemed - (drew ? 70 : 0);
    expect(await points(pts.cards[0]!)).toEqual({ balance: left, lots: left });
    // Whatever is left is less than what the declined messages asked for.
    if (codes.slice(0, 6).includes('51')) expect(left).toBeLessThan(200);
    expect(answers[7]!.body).toMatchObject({ response_code: '00' });
    expect(await points(pts.cards[1]!)).toEqual({ balance: 50, lots: 50 });
    // Seven messages touch card 0's lots: one per batch.
    expect(f.daemon.core.metrics.batchCounts.batches - before).toBeGreaterThanOrEqual(7);
    expect(f.daemon.core.metrics.batchCounts).toMatchObject({ retries: 0, splits: 0 });
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });

  it('a points message costs its batch two round trips, lots, draw and claw-back bookkeeping written with its entries', async () => {
    const card = pts.pans[1]!;
    await f.send({ ...at('COFFEE'), request_id: 'rt-warm', type: 'points_load', card, amount: 10 }); // statements prepared
    const before = await points(pts.cards[1]!);
    const codes: unknown[] = [];
    const sent = await queriesDuring(async () => {
      for (const body of [
        { ...at('COFFEE'), request_id: 'rt-load', type: 'points_load', card, amount: 500 },
        { ...at('SHOP'), request_id: 'rt-redeem', type: 'points_redeem', card, amount: 100 },
        { ...at('COFFEE'), request_id: 'rt-draw', type: 'lottery', card, game: 'WIN' },
        { ...at('SHOP'), request_id: 'rt-void', type: 'void', original_request_id: 'rt-redeem' },
      ]) codes.push((await f.send(body)).body.response_code);
    });
    expect(codes).toEqual(['00', '00', '00', '00']);
    // Nothing else goes to the database: no posting or bookkeeping query of its own.
    const batch = sent;
    expect(batch).toHaveLength(8);
    batch.forEach((t, n) => {
      if (n % 2 === 0) expect(t).toMatch(/^begin;[\s\S]*execute "purse_batch_prefetch"/);
      else expect(t).toMatch(/;\ncommit$/);
    });
    // The lots were written in the write messages: +500 loaded, the redeem's 100 taken and put back, the draw's net 70 spent.
    expect(batch.filter((t) => t.includes('execute "purse_points_credit_lot"')).length).toBeGreaterThanOrEqual(2);
    expect(batch.some((t) => t.includes('execute "purse_points_debit_lots"'))).toBe(true);
    expect(batch.some((t) => t.includes('execute "purse_points_record_draw"'))).toBe(true);
    expect(await points(pts.cards[1]!)).toEqual({ balance: before.balance + 500 - 70, lots: before.lots + 500 - 70 });
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });
});
