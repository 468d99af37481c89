/**
 * The state the points types decide over (design §2: decisions are pure): schemes, what merchants
 * accept and award, rates in force, games, and the cards' lots — read in one go by the SQL function
 * purse_points_state (migration 000140), by the daemon's prefetch for a whole batch, or by the
 * domain's own `prepare…` functions for one request. Decisions only read it; a lottery draw takes
 * prize stock in it (the row is locked by the read, and the take is written with the outcome).
 */
import type { Queryable } from '../ledger/post.js';
import { pointsAsset } from '../ledger/accounts.js';
import type { CardProgram, EarnRule, RateRow, SchemeRow } from './lookup.js';
import type { GameRow } from './lottery/draw.js';

export interface PointsView {
  cardProgram(cardId: number): CardProgram | null;
  schemeByCode(code: string): SchemeRow | null;
  schemeById(id: number): SchemeRow | null;
  merchantAcceptsScheme(merchantId: number, schemeId: number): boolean;
  earnRule(merchantId: number): EarnRule | null;
  /** The rate in force at the view's time (latest effective_at <= it), or null. */
  rateInForce(fromSchemeId: number, toSchemeId: number): RateRow | null;
  /** A game and its prize table (ordinal order), with the stock as locked. */
  game(code: string): GameRow | null;
  /** Points of the scheme the card can spend at `at`: Σ remaining of its lots not expired at `at`. */
  spendable(cardId: number, schemeId: number, at: Date): number;
}

interface StateJson {
  schemes: { id: number; code: string; currency: string; issue_price: number; redemption_value: number; sale_price: number; validity_months: number | null }[];
  programs: { card_id: number; kind: CardProgram['kind']; scheme_id: number | null }[];
  accepts: { merchant_id: number; scheme_id: number }[];
  earn_rules: { merchant_id: number; scheme_id: number; rate: number; cap: number | null }[];
  rates: { id: number; from: number; to: number; rate_micro: number; effective_at: string }[];
  games: {
    id: number; code: string; scheme_id: number; cost_points: number; active: boolean;
    prizes: {
      id: number; ordinal: number; code: string; name: string; kind: 'points' | 'goods'; points: number | null; goods_value: number | null;
      merchant_id: number | null; weight_ppm: number; stock: number | null; initial_stock: number | null; fallback_ordinal: number | null;
    }[];
  }[];
  lots: { card_id: number; scheme_id: number; remaining: number; expires_at: string | null }[];
}

/** A view over purse_points_state's document. */
export function pointsView(doc: unknown): PointsView {
  const s = doc as StateJson;
  const schemes = s.schemes.map((r): SchemeRow => ({
    id: r.id, code: r.code, currency: r.currency, issuePrice: r.issue_price, redemptionValue: r.redemption_value, salePrice: r.sale_price,
    validityMonths: r.validity_months, asset: pointsAsset(r.code),
  }));
  const byCode = new Map(schemes.map((x) => [x.code, x]));
  const byId = new Map(schemes.map((x) => [x.id, x]));
  const programs = new Map(s.programs.map((p) => [p.card_id, { kind: p.kind, schemeId: p.scheme_id }]));
  const accepts = new Set(s.accepts.map((a) => `${a.merchant_id}:${a.scheme_id}`));
  const rules = new Map(s.earn_rules.map((r) => [r.merchant_id, { schemeId: r.scheme_id, rate: r.rate, cap: r.cap }]));
  const rates = new Map(s.rates.map((r) => [`${r.from}:${r.to}`, { id: r.id, rateMicro: r.rate_micro, effectiveAt: new Date(r.effective_at) }]));
  const games = new Map(s.games.map((g): [string, GameRow] => [g.code, {
    id: g.id, code: g.code, schemeId: g.scheme_id, costPoints: g.cost_points, active: g.active,
    prizes: g.prizes.map((z) => ({
      id: z.id, ordinal: z.ordinal, code: z.code, name: z.name, kind: z.kind, points: z.points, goodsValue: z.goods_value, merchantId: z.merchant_id,
      weightPpm: z.weight_ppm, stock: z.stock, initialStock: z.initial_stock, fallbackOrdinal: z.fallback_ordinal,
    })),
  }]));
  const lots = s.lots.map((l) => ({ cardId: l.card_id, schemeId: l.scheme_id, remaining: l.remaining, expiresAt: l.expires_at === null ? null : new Date(l.expires_at) }));
  return {
    cardProgram: (cardId) => programs.get(cardId) ?? null,
    schemeByCode: (code) => byCode.get(code) ?? null,
    schemeById: (id) => byId.get(id) ?? null,
    merchantAcceptsScheme: (merchantId, schemeId) => accepts.has(`${merchantId}:${schemeId}`),
    earnRule: (merchantId) => rules.get(merchantId) ?? null,
    rateInForce: (from, to) => rates.get(`${from}:${to}`) ?? null,
    game: (code) => games.get(code) ?? null,
    spendable: (cardId, schemeId, at) => lots
      .filter((l) => l.cardId === cardId && l.schemeId === schemeId && (l.expiresAt === null || l.expiresAt.getTime() > at.getTime()))
      .reduce((n, l) => n + l.remaining, 0),
  };
}

/**
 * The view for one request (the domain's `prepare…` functions): its card's lots are read as they
 * are now, so call it after locking the card's points accounts when the decision reads them.
 */
export async function loadPointsView(db: Queryable, req: { cardId: number; merchantId: number; at: Date }, game: string | null = null): Promise<PointsView> {
  const { rows } = await db.query<{ s: unknown }>({
    name: 'points_state', text: 'select purse_points_state($1::timestamptz, $2::bigint[], $3::bigint[], $4::text[]) as s',
    values: [req.at, [req.merchantId], [req.cardId], game === null ? [] : [game]],
  });
  return pointsView(rows[0]!.s);
}
