/** Lottery games registry (purse game add | list | show | activate | deactivate). */
import { sql } from 'slonik';
import type { Context } from '../../context.js';
import * as v from '../../registry/validate.js';
import { idOf, insertUnique } from '../../registry/lookup.js';
import { InputError, NotFoundError } from '../../errors.js';
import { DRAW_RANGE } from './mapping.js';

/** Probabilities are entered as decimals with up to 6 places and stored as parts per million. */
export const PROBABILITY_SCALE = 6;

export interface PrizeInput {
  code: unknown;
  name?: unknown;
  /** Points prize (in the game's scheme). */
  points?: unknown;
  /** Goods prize value in minor units of the scheme currency; needs `merchant`. */
  goods?: unknown;
  /** Merchant supplying a goods prize (paid its value). */
  merchant?: unknown;
  /** Decimal probability in (0, 1], up to 6 decimals. */
  probability: unknown;
  /** Units available; absent = unlimited. */
  stock?: unknown;
  /** Code of the prize (same game) awarded instead when this one is out of stock; absent = no prize. */
  fallback?: unknown;
}

export interface GameInput { code: unknown; name?: unknown; scheme: unknown; cost: unknown; prizes: unknown; inactive?: unknown }

export interface PrizeView {
  code: string; name: string; kind: 'points' | 'goods'; points: number | null; goods_value: number | null; merchant: string | null;
  probability: string; weight_ppm: number; stock: number | null; initial_stock: number | null; fallback: string | null;
}

export interface GameView {
  id: number; code: string; name: string; scheme: string; cost_points: number; active: boolean;
  /** Chance of no prize before any stock runs out, as a decimal. */
  no_prize_probability: string;
  draws: number; prizes: PrizeView[]; created_at: string;
}

interface ValidPrize {
  code: string; name: string; kind: 'points' | 'goods'; points: number | null; goods: number | null; merchant: string | null;
  ppm: number; stock: number | null; fallback: string | null;
}

function validPrizes(raw: unknown): ValidPrize[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > 100) throw new InputError('invalid_prizes', 'prizes must list 1 to 100 prizes', 'prizes');
  const prizes = raw.map((p: PrizeInput, i): ValidPrize => {
    const f = (name: string) => `prizes[${i}].${name}`;
    if (typeof p !== 'object' || p === null) throw new InputError('invalid_prizes', `${f('code')} missing: each prize is an object`, `prizes[${i}]`);
    const code = v.code(p.code, f('code'));
    const hasPoints = p.points !== undefined && p.points !== '';
    const hasGoods = p.goods !== undefined && p.goods !== '';
    if (hasPoints === hasGoods) throw new InputError('invalid_prize', `${f('points')}: a prize is either points or goods (a value with a merchant)`, f('points'));
    if (!hasGoods && p.merchant !== undefined) throw new InputError('invalid_prize', `${f('merchant')} only goes with goods`, f('merchant'));
    const ppm = v.scaledDecimal(p.probability, f('probability'), PROBABILITY_SCALE, { positive: true });
    if (ppm > DRAW_RANGE) throw new InputError('out_of_range', `${f('probability')} must be at most 1`, f('probability'));
    return {
      code, name: v.name(p.name ?? code, f('name')), kind: hasPoints ? 'points' : 'goods',
      points: hasPoints ? v.int(p.points, f('points'), 1, 1e12) : null,
      goods: hasGoods ? v.int(p.goods, f('goods'), 1, 1e12) : null,
      merchant: hasGoods ? v.code(p.merchant, f('merchant')) : null,
      ppm, stock: v.optionalInt(p.stock, f('stock'), 0, 1e12),
      fallback: p.fallback === undefined || p.fallback === '' ? null : v.code(p.fallback, f('fallback')),
    };
  });
  const codes = prizes.map((p) => p.code);
  prizes.forEach((p, i) => {
    if (codes.indexOf(p.code) !== i) throw new InputError('duplicate', `prize code ${p.code} appears twice`, `prizes[${i}].code`);
    if (p.fallback !== null && (!codes.includes(p.fallback) || p.fallback === p.code)) {
      throw new InputError('invalid_fallback', `fallback ${p.fallback} must be another prize of this game`, `prizes[${i}].fallback`);
    }
  });
  prizes.forEach((p, i) => {
    const seen = new Set<string>();
    for (let c: string | null = p.code; c !== null; c = prizes.find((x) => x.code === c)!.fallback) {
      if (seen.has(c)) throw new InputError('invalid_fallback', `fallbacks starting at ${p.code} go round in a cycle`, `prizes[${i}].fallback`);
      seen.add(c);
    }
  });
  const total = prizes.reduce((n, p) => n + p.ppm, 0);
  if (total > DRAW_RANGE) throw new InputError('invalid_probabilities', `prize probabilities add up to ${v.formatScaled(total, PROBABILITY_SCALE)}, above 1`, 'prizes');
  return prizes;
}

const VIEW = sql.fragment`
  select g.id, g.code, g.name, s.code as scheme, g.cost_points, g.active, g.created_at,
    coalesce(dc.draws, 0) as draws,
    coalesce((select json_agg(json_build_object(
        'code', p.code, 'name', p.name, 'kind', p.kind, 'points', p.points, 'goods_value', p.goods_value, 'merchant', m.code,
        'weight_ppm', p.weight_ppm, 'stock', p.stock, 'initial_stock', p.initial_stock, 'fallback', f.code) order by p.ordinal)
      from lottery_prizes p
      left join merchants m on m.id = p.merchant_id
      left join lottery_prizes f on f.game_id = p.game_id and f.ordinal = p.fallback_ordinal
      where p.game_id = g.id), '[]') as prizes
  from lottery_games g join schemes s on s.id = g.scheme_id
  -- counted by one aggregate rather than a subquery per game: Citus (design §9) refuses a correlated
  -- subquery over the distributed draws from the games reference table
  left join (select game_id, count(*) as draws from lottery_draws group by game_id) dc on dc.game_id = g.id`;

type ViewRow = Omit<GameView, 'no_prize_probability' | 'prizes'> & { prizes: Omit<PrizeView, 'probability'>[] };

function toView(r: ViewRow): GameView {
  const prizes = r.prizes.map((p) => ({ ...p, probability: v.formatScaled(p.weight_ppm, PROBABILITY_SCALE) }));
  const none = DRAW_RANGE - prizes.reduce((n, p) => n + p.weight_ppm, 0);
  return { ...r, no_prize_probability: v.formatScaled(none, PROBABILITY_SCALE), prizes };
}

/**
 * Registers a game: `cost` points of `scheme` a draw, and its prize table in the order given (the
 * order fixes each prize's band of random values). Probabilities add up to at most 1; the rest is
 * "no prize". Goods prizes are valued in the scheme's currency and paid to their merchant. The
 * table is fixed once created (so draws replay); only stock moves, and the game can be
 * deactivated. Bad input names the field and creates nothing.
 */
export async function addGame(ctx: Context, input: GameInput): Promise<GameView> {
  const code = v.code(input.code);
  const name = v.name(input.name ?? code);
  const scheme = v.code(input.scheme, 'scheme');
  const cost = v.int(input.cost, 'cost', 1, 1e12);
  const active = input.inactive === undefined ? true : !v.bool(input.inactive, 'inactive');
  const prizes = validPrizes(input.prizes);
  return ctx.db.sql.transaction(async (tx) => {
    const schemeId = await idOf(tx, 'schemes', scheme, 'scheme');
    const merchantIds = new Map<string, number>();
    for (const [i, p] of prizes.entries()) {
      if (p.merchant !== null && !merchantIds.has(p.merchant)) merchantIds.set(p.merchant, await idOf(tx, 'merchants', p.merchant, `prizes[${i}].merchant`));
    }
    const gameId = (await insertUnique('game', code, 'code', () => tx.oneFirst(sql.unsafe`
      insert into lottery_games (code, name, scheme_id, cost_points, active)
      values (${code}, ${name}, ${schemeId}, ${cost}, ${active}) returning id`))) as number;
    const ordinal = (c: string) => prizes.findIndex((p) => p.code === c) + 1;
    for (const [i, p] of prizes.entries()) {
      await tx.query(sql.unsafe`
        insert into lottery_prizes (game_id, ordinal, code, name, kind, points, goods_value, merchant_id, weight_ppm, initial_stock, stock, fallback_ordinal)
        values (${gameId}, ${i + 1}, ${p.code}, ${p.name}, ${p.kind}, ${p.points}, ${p.goods}, ${p.merchant === null ? null : merchantIds.get(p.merchant)!},
                ${p.ppm}, ${p.stock}, ${p.stock}, ${p.fallback === null ? null : ordinal(p.fallback)})`);
    }
    return toView((await tx.one(sql.unsafe`${VIEW} where g.id = ${gameId}`)) as ViewRow);
  });
}

export async function listGames(ctx: Context): Promise<GameView[]> {
  return ((await ctx.db.sql.any(sql.unsafe`${VIEW} order by g.code`)) as ViewRow[]).map(toView);
}

export async function showGame(ctx: Context, code: string): Promise<GameView> {
  const row = await ctx.db.sql.maybeOne(sql.unsafe`${VIEW} where g.code = ${code}`);
  if (!row) throw new NotFoundError('game', code, 'code');
  return toView(row as ViewRow);
}

/** Opens or closes a game for draws (a closed game declines draws with 12). */
export async function setGameActive(ctx: Context, code: string, active: boolean): Promise<GameView> {
  const id = await ctx.db.sql.maybeOneFirst(sql.unsafe`update lottery_games set active = ${active} where code = ${code} returning id`);
  if (id === null) throw new NotFoundError('game', code, 'code');
  return showGame(ctx, code);
}
