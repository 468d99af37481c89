import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { seedPoints } from '../helpers/points.js';
import { addGame, listGames, setGameActive, showGame, type GameInput } from '../../src/points/lottery/games.js';
import { parsePrizeSpec } from '../../src/cli/game.js';
import { PurseError } from '../../src/errors.js';

const ctx = await testContext();
await seedPoints(ctx, 0);

async function lotteryTables(): Promise<string> {
  const { rows } = await ctx.db.pg.query<{ t: string }>(`
    select (select coalesce(json_agg(to_jsonb(g) order by g.id), '[]') from lottery_games g)::text
        || (select coalesce(json_agg(to_jsonb(p) order by p.id), '[]') from lottery_prizes p)::text as t`);
  return rows[0]!.t;
}

/** addGame must refuse with an input error (exit 1) naming `field` and create nothing. */
async function refusedGame(field: string, input: Partial<GameInput>): Promise<void> {
  const before = await lotteryTables();
  const err = await addGame(ctx, { code: 'G', scheme: 'AIR', cost: 10, prizes: [{ code: 'A', points: 1, probability: '0.1' }], ...input })
    .then(() => undefined, (e: unknown) => e);
  expect(err, `expected a refusal naming ${field}`).toBeInstanceOf(PurseError);
  expect({ field: (err as PurseError).field, exit: (err as PurseError).exitCode }).toEqual({ field, exit: 1 });
  expect(await lotteryTables()).toBe(before);
}

describe('lottery game registry', () => {
  it('refuses each kind of bad game naming the field, creating nothing', async () => {
    await refusedGame('scheme', { scheme: 'NOPE' });
    await refusedGame('cost', { cost: 0 });
    await refusedGame('prizes', { prizes: [] });
    await refusedGame('prizes[0].probability', { prizes: [{ code: 'A', points: 1, probability: '0.0000001' }] }); // finer than 1 ppm
    await refusedGame('prizes[0].probability', { prizes: [{ code: 'A', points: 1, probability: '0' }] });
    await refusedGame('prizes', { prizes: [{ code: 'A', points: 1, probability: '0.6' }, { code: 'B', points: 1, probability: '0.400001' }] });
    await refusedGame('prizes[1].code', { prizes: [{ code: 'A', points: 1, probability: '0.1' }, { code: 'A', points: 2, probability: '0.1' }] });
    await refusedGame('prizes[0].fallback', { prizes: [{ code: 'A', points: 1, probability: '0.1', fallback: 'Z' }] });
    await refusedGame('prizes[0].fallback', { prizes: [{ code: 'A', points: 1, probability: '0.1', fallback: 'A' }] });
    await refusedGame('prizes[0].fallback', {
      prizes: [{ code: 'A', points: 1, probability: '0.1', fallback: 'B' }, { code: 'B', points: 1, probability: '0.1', fallback: 'A' }],
    });
    await refusedGame('prizes[0].points', { prizes: [{ code: 'A', points: 1, goods: 5, merchant: 'SHOP', probability: '0.1' }] });
    await refusedGame('prizes[0].points', { prizes: [{ code: 'A', probability: '0.1' }] });
    await refusedGame('prizes[0].merchant', { prizes: [{ code: 'A', points: 1, merchant: 'SHOP', probability: '0.1' }] });
    await refusedGame('prizes[0].merchant', { prizes: [{ code: 'A', goods: 5, probability: '0.1' }] });
    await refusedGame('prizes[0].stock', { prizes: [{ code: 'A', points: 1, probability: '0.1', stock: -1 }] });
    await refusedGame('prizes[0].points', { prizes: [{ code: 'A', points: 1.5, probability: '0.1' }] });
    expect(await listGames(ctx)).toEqual([]);
  });

  it('keeps the prize table in the order given (it fixes the bands), with probabilities exact to 1 ppm', async () => {
    const g = await addGame(ctx, {
      code: 'G1', scheme: 'AIR', cost: 5, prizes: [
        { code: 'Z', points: 100, probability: '0.000001', stock: 0, fallback: 'A' },
        { code: 'A', goods: 990, merchant: 'SHOP', probability: '0.999999' },
      ],
    });
    expect(g.prizes.map((p) => [p.code, p.weight_ppm, p.stock, p.fallback])).toEqual([['Z', 1, 0, 'A'], ['A', 999_999, null, null]]);
    expect(g.no_prize_probability).toBe('0');
    expect((await setGameActive(ctx, 'G1', false)).active).toBe(false);
    expect((await showGame(ctx, 'G1')).active).toBe(false);
  });

  it('reads a --prize spec as key=value pairs and refuses an unknown key naming the prize', () => {
    expect(parsePrizeSpec('code=BIG,name=Big one,points=5000,probability=0.01,stock=3,fallback=SMALL', 0))
      .toEqual({ code: 'BIG', name: 'Big one', points: '5000', probability: '0.01', stock: '3', fallback: 'SMALL' });
    expect(() => parsePrizeSpec('code=A,odds=0.1', 2)).toThrow(expect.objectContaining({ field: 'prizes[2]' }));
    expect(() => parsePrizeSpec('code', 0)).toThrow(expect.objectContaining({ field: 'prizes[0]' }));
  });
});
