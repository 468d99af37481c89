import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { legsOf, lotsOf, pointsOf, runPoints, seedPoints } from '../helpers/points.js';
import { preparePointsLoad } from '../../src/points/earn.js';
import { prepareRedeem } from '../../src/points/redeem.js';
import { prepareLottery } from '../../src/points/lottery/draw.js';
import { addGame, setGameActive, showGame } from '../../src/points/lottery/games.js';
import { auditGame } from '../../src/points/lottery/audit.js';
import { preparePointsReversal } from '../../src/points/reversal.js';
import { prizeForValue } from '../../src/points/lottery/mapping.js';
import { verifyLedger } from '../../src/ledger/verify.js';

const ctx = await testContext();
const seed = await seedPoints(ctx, 24);
const cards = seed.cards;
const { COFFEE, SHOP } = seed.merchants;
const AIR = seed.schemes.AIR;
const at = () => ctx.clock.now();
const cardLeg = (id: number) => `card:${id}:points:AIR PTS:AIR`;
const issued = `scheme:${AIR}:issued PTS:AIR`;
const float = `scheme:${AIR}:float CNY`;

for (const c of cards) await runPoints(ctx, (db) => preparePointsLoad(ctx, db, { cardId: c, merchantId: COFFEE, points: 1000, at: at() }));

// Probabilities as decimals: 0.999999 + 0.000001 = 1, so every draw wins something (BIG unless its
// value is 999999) and stock alone decides who gets BIG.
await addGame(ctx, {
  code: 'SCARCE', scheme: 'AIR', cost: 100, prizes: [
    { code: 'BIG', points: 250, probability: '0.999999', stock: 3, fallback: 'SMALL' },
    { code: 'SMALL', points: 30, probability: '0.000001' },
  ],
});
await addGame(ctx, { code: 'TOYS', scheme: 'AIR', cost: 50, prizes: [{ code: 'TOY', goods: 800, merchant: 'SHOP', probability: '1', stock: 1 }] });

let txn = 1000;
const draw = (cardId: number, game: string, transactionId = ++txn) =>
  runPoints(ctx, (db) => prepareLottery(ctx, db, { cardId, merchantId: COFFEE, game, at: at(), transactionId }));
const reverse = (originalTransactionId: number, mode: 'void' | 'reversal' = 'reversal') =>
  runPoints(ctx, (db) => preparePointsReversal(db, { originalTransactionId, mode, at: at(), transactionId: ++txn }));
const stockOf = async (game: string, prize: string) => (await showGame(ctx, game)).prizes.find((p) => p.code === prize)!.stock;

interface DrawRow { card_id: number; transaction_id: number; random_value: number; drawn: string | null; prize: string | null; cost_points: number; entry_id: number | null; prize_entry_id: number | null; reversed: boolean }
async function drawsOf(game: string): Promise<DrawRow[]> {
  const { rows } = await ctx.db.pg.query<DrawRow>(`
    select d.card_id, d.transaction_id, d.random_value, dp.code as drawn, p.code as prize, d.cost_points, d.entry_id, d.prize_entry_id, d.reversed
    from lottery_draws d join lottery_games g on g.id = d.game_id
    left join lottery_prizes dp on dp.id = d.drawn_prize_id left join lottery_prizes p on p.id = d.prize_id
    where g.code = $1 order by d.id`, [game]);
  return rows;
}

describe('lottery draws', () => {
  it('never awards a stocked prize beyond its stock under concurrent draws; the rest fall through to the fallback', async () => {
    const players = cards.slice(0, 20);
    const results = await Promise.all(players.map((c) => draw(c, 'SCARCE')));
    expect(results.every((r) => r.outcome.approved)).toBe(true);
    const draws = await drawsOf('SCARCE');
    expect(draws).toHaveLength(20);
    expect(draws.filter((d) => d.prize === 'BIG')).toHaveLength(3);
    expect(draws.filter((d) => d.prize === 'SMALL')).toHaveLength(17);
    // A draw that wins SMALL either drew SMALL or drew BIG after its stock ran out.
    expect(draws.every((d) => d.prize === d.drawn || (d.drawn === 'BIG' && d.prize === 'SMALL'))).toBe(true);
    expect(await stockOf('SCARCE', 'BIG')).toBe(0);
    // Points: BIG nets +150 (cost 100, prize 250), SMALL −70.
    for (const d of draws) expect(await pointsOf(ctx, d.card_id, 'AIR')).toBe(d.prize === 'BIG' ? 1150 : 930);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('records each draw\'s random value and prizes so the audit replays every draw and the stock', async () => {
    const draws = await drawsOf('SCARCE');
    const game = await showGame(ctx, 'SCARCE');
    const bands = game.prizes.map((p, i) => ({ id: i, ordinal: i + 1, weightPpm: p.weight_ppm, fallbackOrdinal: null, code: p.code }));
    for (const d of draws) {
      expect(Number.isInteger(d.random_value) && d.random_value >= 0 && d.random_value < 1_000_000).toBe(true);
      expect(prizeForValue(bands, d.random_value)?.code ?? null).toBe(d.drawn);
      expect(d.cost_points).toBe(100);
    }
    expect(await auditGame(ctx, 'SCARCE')).toEqual({
      game: 'SCARCE', draws: 20, mismatches: [], ok: true,
      stock: [{ prize: 'BIG', initial_stock: 3, awarded: 3, stock: 0, ok: true }],
    });
  });

  it('posts the cost and a points prize as one lottery entry: card −k+q, float −r((k−q)×v), revenue:lottery the same', async () => {
    const big = (await drawsOf('SCARCE')).find((d) => d.prize === 'BIG')!;
    // k − q = −150: float r(−148.14) = −148 the other way: float +148, revenue:lottery −148.
    expect(await legsOf(ctx, big.entry_id!)).toEqual({ [cardLeg(big.card_id)]: 150, [issued]: -150, [float]: 148, 'revenue:lottery CNY': -148 });
    const small = (await drawsOf('SCARCE')).find((d) => d.prize === 'SMALL')!;
    // k − q = 70: r(69.132) = 69.
    expect(await legsOf(ctx, small.entry_id!)).toEqual({ [cardLeg(small.card_id)]: -70, [issued]: 70, [float]: -69, 'revenue:lottery CNY': 69 });
    expect(big.prize_entry_id).toBeNull();
  });

  it('spends the cost from the oldest lots and credits a points prize as a lot of its own (fresh expiry), not netted', async () => {
    const draws = await drawsOf('SCARCE');
    const big = draws.find((d) => d.prize === 'BIG')!;
    const small = draws.find((d) => d.prize === 'SMALL')!;
    const expiry = new Date('2027-04-01T00:00:00+08:00'); // credited 2026-03-10, AIR valid 12 months
    expect((await lotsOf(ctx, big.card_id, AIR)).map((l) => [l.points, l.remaining, l.expires_at])).toEqual([[1000, 900, expiry], [250, 250, expiry]]);
    expect((await lotsOf(ctx, small.card_id, AIR)).map((l) => [l.points, l.remaining])).toEqual([[1000, 900], [30, 30]]);
    const { rows: moves } = await ctx.db.pg.query('select points from points_lot_moves where entry_id = $1 order by lot_id', [big.entry_id]);
    expect(moves.map((m) => m.points)).toEqual([-100, 250]);
  });

  it('a goods prize pays its supplier: merchant +g, revenue:lottery −g; once out of stock the draw wins nothing', async () => {
    const [c] = cards.slice(20) as [number];
    const first = await draw(c, 'TOYS');
    expect(first.outcome).toMatchObject({ approved: true, message: 'won TOY', detail: { cost: 50, prize: { code: 'TOY', kind: 'goods', goods_value: 800 } } });
    expect(first.entryIds).toHaveLength(2);
    // Cost 50: float −r(49.38) = −49, revenue:lottery +49.
    expect(await legsOf(ctx, first.entryIds[0]!)).toEqual({ [cardLeg(c)]: -50, [issued]: 50, [float]: -49, 'revenue:lottery CNY': 49 });
    expect(await legsOf(ctx, first.entryIds[1]!)).toEqual({ [`merchant:${SHOP} CNY`]: 800, 'revenue:lottery CNY': -800 });
    expect(await stockOf('TOYS', 'TOY')).toBe(0);

    const second = await draw(c, 'TOYS');
    expect(second.outcome).toMatchObject({ approved: true, message: 'no prize', detail: { drawn_prize: 'TOY', prize: null } });
    expect(second.entryIds).toHaveLength(1); // the cost only
    expect((await drawsOf('TOYS')).map((d) => [d.drawn, d.prize])).toEqual([['TOY', 'TOY'], ['TOY', null]]);
    expect(await pointsOf(ctx, c, 'AIR')).toBe(900);
    expect((await auditGame(ctx, 'TOYS')).ok).toBe(true);
  });

  it('a reversal of a draw restores the points and the stock exactly once, and negates the goods prize', async () => {
    const [c] = cards.slice(20) as [number];
    const won = (await drawsOf('TOYS'))[0]!;
    const lotsBefore = (await lotsOf(ctx, c, AIR)).map((l) => l.remaining);
    const rev = await reverse(won.transaction_id);
    expect(rev.outcome).toMatchObject({ approved: true, code: '00' });
    expect(rev.entryIds).toHaveLength(2);
    expect(await legsOf(ctx, rev.entryIds[0]!)).toEqual({ [cardLeg(c)]: 50, [issued]: -50, [float]: 49, 'revenue:lottery CNY': -49 });
    expect(await legsOf(ctx, rev.entryIds[1]!)).toEqual({ [`merchant:${SHOP} CNY`]: -800, 'revenue:lottery CNY': 800 });
    expect(await pointsOf(ctx, c, 'AIR')).toBe(950);
    expect(await stockOf('TOYS', 'TOY')).toBe(1);
    // The 50 points go back to the lot they came from (one lot: 900 + 50).
    expect((await lotsOf(ctx, c, AIR)).map((l) => l.remaining)).toEqual(lotsBefore.map((n) => n + 50));

    for (const mode of ['reversal', 'void'] as const) {
      const again = await reverse(won.transaction_id, mode);
      expect(again).toMatchObject({ outcome: { approved: true, alreadyReversed: true }, entryIds: [] });
    }
    expect(await pointsOf(ctx, c, 'AIR')).toBe(950);
    expect(await stockOf('TOYS', 'TOY')).toBe(1);
    expect((await drawsOf('TOYS'))[0]!.reversed).toBe(true);
    expect((await auditGame(ctx, 'TOYS')).stock).toEqual([{ prize: 'TOY', initial_stock: 1, awarded: 0, stock: 1, ok: true }]);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('concurrent reversals of one draw restore its points once', async () => {
    const [c] = cards.slice(21) as [number];
    const t = ++txn;
    await draw(c, 'SCARCE', t);
    const prize = (await drawsOf('SCARCE')).at(-1)!.prize;
    const after = await pointsOf(ctx, c, 'AIR');
    const revs = await Promise.all([0, 1, 2, 3, 4].map(() => reverse(t)));
    expect(revs.filter((r) => r.entryIds.length > 0)).toHaveLength(1);
    expect(await pointsOf(ctx, c, 'AIR')).toBe(1000);
    expect(after).toBe(prize === 'SMALL' ? 930 : 1150);
    expect((await auditGame(ctx, 'SCARCE')).ok).toBe(true);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('declines 51 when the card cannot pay the cost and 12 for an inactive or unknown game, drawing nothing', async () => {
    const [c] = cards.slice(22) as [number];
    await runPoints(ctx, (db) => prepareRedeem(db, { cardId: c, merchantId: COFFEE, points: 950, at: at() })); // 50 left, the game costs 100
    expect((await draw(c, 'SCARCE')).outcome).toMatchObject({ approved: false, code: '51' });
    await setGameActive(ctx, 'TOYS', false);
    expect((await draw(cards[23]!, 'TOYS')).outcome).toMatchObject({ approved: false, code: '12' });
    expect((await draw(cards[23]!, 'NOPE')).outcome).toMatchObject({ approved: false, code: '12' });
    expect(await drawsOf('TOYS')).toHaveLength(2);
  });

  it('the audit finds a draw whose recorded value does not replay to its recorded prize', async () => {
    await ctx.db.pg.query(`update lottery_draws set random_value = 999999 where id = (select min(d.id) from lottery_draws d join lottery_prizes p on p.id = d.prize_id where p.code = 'BIG')`);
    const audit = await auditGame(ctx, 'SCARCE');
    expect(audit.ok).toBe(false);
    expect(audit.mismatches).toHaveLength(1);
    expect(audit.mismatches[0]!.problem).toMatch(/recorded drawn prize BIG, value replays to SMALL/);
  });
});
