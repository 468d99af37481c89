/** `lottery`: a draw of a configured game, paid in points, with a CSPRNG value recorded for audit. */
import type { Context } from '../../context.js';
import type { Entry } from '../../ledger/entry.js';
import type { Queryable } from '../../ledger/post.js';
import { lotteryEntry, lotteryPrizeEntry } from '../entries.js';
import type { Calendar } from '../../settlement/calendar.js';
import type { SchemeRow } from '../lookup.js';
import { lockPointsAccounts, lotExpiry } from '../lots.js';
import { decline, type PointsDecline, type PointsEffect, type PointsOutcome } from '../outcome.js';
import { acceptedScheme, isDecline, metaOf, type PointsRequest } from '../request.js';
import { loadPointsView, type PointsView } from '../view.js';
import { drawValue, fallbackChain, prizeForValue, type PrizeBand } from './mapping.js';

export interface PrizeRow extends PrizeBand {
  code: string;
  name: string;
  kind: 'points' | 'goods';
  points: number | null;
  goodsValue: number | null;
  merchantId: number | null;
  stock: number | null;
  initialStock: number | null;
}

export interface GameRow { id: number; code: string; schemeId: number; costPoints: number; active: boolean; prizes: PrizeRow[] }

/** A game and its prize table (ordinal order), or null. */
export async function gameByCode(db: Queryable, code: string): Promise<GameRow | null> {
  const { rows: [g] } = await db.query<{ id: number; code: string; scheme_id: number; cost_points: number; active: boolean }>({
    name: 'lottery_game_by_code',
    text: 'select id, code, scheme_id, cost_points, active from lottery_games where code = $1',
    values: [code],
  });
  if (!g) return null;
  return { id: g.id, code: g.code, schemeId: g.scheme_id, costPoints: g.cost_points, active: g.active, prizes: await prizesOf(db, g.id) };
}

/** The prize table of a game in ordinal order. */
export async function prizesOf(db: Queryable, gameId: number): Promise<PrizeRow[]> {
  const { rows } = await db.query<{
    id: number; ordinal: number; code: string; name: string; kind: 'points' | 'goods'; points: number | null; goods_value: number | null;
    merchant_id: number | null; weight_ppm: number; stock: number | null; initial_stock: number | null; fallback_ordinal: number | null;
  }>({
    name: 'lottery_prizes_of_game',
    text: `
      select id, ordinal, code, name, kind, points, goods_value, merchant_id, weight_ppm, stock, initial_stock, fallback_ordinal
      from lottery_prizes where game_id = $1 order by ordinal`,
    values: [gameId],
  });
  return rows.map((r) => ({
    id: r.id, ordinal: r.ordinal, code: r.code, name: r.name, kind: r.kind, points: r.points, goodsValue: r.goods_value, merchantId: r.merchant_id,
    weightPpm: r.weight_ppm, stock: r.stock, initialStock: r.initial_stock, fallbackOrdinal: r.fallback_ordinal,
  }));
}

export interface LotteryRequest extends PointsRequest {
  /** The game's code (it sets the scheme and the cost). */
  game: string;
}

/**
 * Prepares a `lottery` draw: locks the card's points account, checks the cost k is spendable, draws
 * r = crypto.randomInt(1e6), maps it to a prize (`prizeForValue`), and awards the first prize of its
 * fallback chain still in stock — stock is taken by a conditional UPDATE … WHERE stock > 0 (row lock),
 * so concurrent draws never exceed it; unlimited prizes are never written. Entries: `lottery`
 * (cost k, points prize q; none when k = q) and, for a goods prize, `lottery_prize` paying its
 * supplier. Declines 12 (unknown or inactive game), 57 (card without points, scheme not accepted at
 * the merchant), 51 (fewer than k points spendable). Finishing consumes k points oldest-first,
 * credits a points prize q as a new lot (when k = q nothing moves: there is no entry to move lots
 * under) and records the draw (random value, drawn and awarded prize) for audit. `random` is the source of draw values: the CSPRNG (`drawValue`) unless
 * a test injects a seeded one so a whole workload replays; never taken from a request.
 */
export async function prepareLottery(ctx: Context, db: Queryable, req: LotteryRequest, random: () => number = drawValue): Promise<PointsOutcome> {
  const config = await loadPointsView(db, req, req.game);
  const scheme = lotteryScheme(config, req);
  if (isDecline(scheme)) return scheme;
  await lockPointsAccounts(db, req.cardId, [scheme.asset]);
  return decideLottery(await loadPointsView(db, req, req.game), ctx.calendar, req, random);
}

/** The game's scheme, checked (12 unknown or inactive game, 57 card without points or scheme not accepted). */
function lotteryScheme(view: PointsView, req: LotteryRequest): SchemeRow | PointsDecline {
  const game = view.game(req.game);
  if (!game || !game.active) return decline('12', `no active game ${JSON.stringify(req.game)}`);
  return acceptedScheme(view, req, view.schemeById(game.schemeId)!.code);
}

/**
 * The decision of prepareLottery over a points view read under the card's account lock, with the
 * game's stocked prizes locked (pure): `draw` gives the draw's value (the daemon takes it before
 * deciding and passes it in; it is asked for only when the card can pay). A prize
 * in stock is taken from the view's stock (so a second draw of the batch sees it) and by a
 * `stock_take` effect when the outcome is finished.
 */
export function decideLottery(view: PointsView, calendar: Calendar, req: LotteryRequest, draw: () => number): PointsOutcome {
  const scheme = lotteryScheme(view, req);
  if (isDecline(scheme)) return scheme;
  const game = view.game(req.game)!;
  const k = game.costPoints;
  const spendable = view.spendable(req.cardId, scheme.id, req.at);
  if (spendable < k) return decline('51', `insufficient points: the game costs ${k}, ${spendable} spendable`);

  const randomValue = draw();
  const drawn = prizeForValue(game.prizes, randomValue);
  let prize: PrizeRow | null = null;
  for (const candidate of fallbackChain(game.prizes, drawn)) {
    if (candidate.stock === null || candidate.stock > 0) {
      prize = candidate;
      break;
    }
  }
  const effects: PointsEffect[] = [];
  if (prize && prize.stock !== null) {
    prize.stock -= 1;
    effects.push({ type: 'stock_take', prizeId: prize.id });
  }

  const q = prize?.kind === 'points' ? prize.points! : 0;
  const meta = metaOf(req);
  const memo = { game: game.code, random_value: randomValue, drawn_prize: drawn?.code ?? null, prize: prize?.code ?? null };
  const entries: Entry[] = [];
  const main = lotteryEntry(scheme, req.cardId, k, q, req.merchantId, meta, memo);
  if (main) {
    entries.push(main);
    // Not netted: the cost is spent from the oldest lots and a points prize is a credit, so a lot of
    // its own with a fresh expiry (issue 4: each credit of points is a lot; spending is oldest-first).
    // Debit first, so the cost never comes out of the prize's lot.
    effects.push({ type: 'lot_debit', entry: 0, cardId: req.cardId, schemeId: scheme.id, points: k, spendableAt: req.at, preferSourceEntryIds: [] });
    if (q > 0) effects.push({ type: 'lot_credit', entry: 0, cardId: req.cardId, schemeId: scheme.id, points: q, expiresAt: lotExpiry(req.at, scheme.validityMonths, calendar) });
  }
  let prizeEntry: number | null = null;
  if (prize?.kind === 'goods') {
    prizeEntry = entries.length;
    entries.push(lotteryPrizeEntry(scheme.currency, prize.merchantId!, prize.goodsValue!, meta, memo));
  }
  effects.push({
    type: 'draw_record', entry: main ? 0 : null, prizeEntry, cardId: req.cardId, gameId: game.id, randomValue,
    drawnPrizeId: drawn?.id ?? null, prizeId: prize?.id ?? null, costPoints: k, transactionId: req.transactionId ?? null, occurredAt: req.at,
  });
  return {
    approved: true, code: '00', message: prize ? `won ${prize.name}` : 'no prize', amountRequested: k, amountApproved: k, entries, effects,
    detail: {
      game: game.code, scheme: scheme.code, cost: k, random_value: randomValue, drawn_prize: drawn?.code ?? null,
      prize: prize ? { code: prize.code, name: prize.name, kind: prize.kind, points: prize.points, goods_value: prize.goodsValue } : null,
    },
  };
}
