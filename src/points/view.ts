/**
 * The state the points types decide over (design §2: decisions are pure): schemes, what merchants
 * accept and award, rates in force, games, and the cards' lots — read in one go by the SQL function
 * purse_points_state (migration 000140), by the daemon's prefetch for a whole batch, or by the
 * domain's own `prepare…` functions for one request. Decisions only read it; a lottery draw takes
 * prize stock in it (the row is locked by the read, and the take is written with the outcome).
 */
import type { Queryable } from '../ledger/post.js';
import type { Posting } from '../ledger/entry.js';
import { pointsAsset } from '../ledger/accounts.js';
import type { CardProgram, EarnRule, RateRow, SchemeRow } from './lookup.js';
import type { GameRow } from './lottery/draw.js';
import type { LotMove } from './lots.js';

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
  /** The card's balance of a points asset (as locked). */
  balance(cardId: number, asset: string): number;
  /** The points entries (kinds POINTS_ENTRY_KINDS) of a transaction named, in id order. */
  pointsEntries(transactionId: number): PointsEntry[];
  /** An entry's legs, by (account, asset). */
  legs(entryId: number): Posting[];
  /** The net change per lot an entry made on a card's lots. */
  lotMoves(cardId: number, entryId: number): LotMove[];
  /** The lottery draws of a transaction (locked). */
  draws(transactionId: number): DrawRow[];
  /** The claw-backs a transaction recorded, not reversed (locked). */
  clawbacks(transactionId: number): { card_id: number; id: number }[];
  /** What claw-backs not reversed took back of an earn so far. */
  clawbackState(cardId: number, earnEntryId: number): { returned: number; clawed: number };
  /** Whether a void or reversal entry undoes any of these entries. */
  undone(entryIds: readonly number[]): boolean;
}

/** A points entry as the undo of points reads it. */
export interface PointsEntry { id: number; kind: string; merchant_id: number | null; channel_id: number | null; memo: { purchase_amount?: number; scheme?: string } | null }

export interface DrawRow { card_id: number; id: number; prize_id: number | null; entry_id: number | null; prize_entry_id: number | null; reversed: boolean }

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
  balances: { card_id: number; asset: string; balance: number }[];
  entries: (PointsEntry & { transaction_id: number })[];
  legs: ({ entry_id: number } & Posting)[];
  lot_moves: { card_id: number; entry_id: number; lot_id: number; scheme_id: number; points: number }[];
  draws: (DrawRow & { transaction_id: number })[];
  clawbacks: { card_id: number; id: number; transaction_id: number }[];
  clawback_states: { card_id: number; earn_entry_id: number; returned: number; clawed: number }[];
  undone: number[];
}

/**
 * A view over purse_points_state's document. `balance`: where balances come from instead of the
 * document (the daemon's batch keeps its cards' balances in memory, changed by its decisions).
 */
export function pointsView(doc: unknown, balance?: (cardId: number, asset: string) => number): PointsView {
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
  const balances = new Map(s.balances.map((b) => [`${b.card_id}|${b.asset}`, b.balance]));
  const legs = new Map<number, Posting[]>();
  for (const l of s.legs) legs.set(l.entry_id, [...(legs.get(l.entry_id) ?? []), { account: l.account, asset: l.asset, amount: l.amount }]);
  const states = new Map(s.clawback_states.map((c) => [`${c.card_id}|${c.earn_entry_id}`, { returned: c.returned, clawed: c.clawed }]));
  const undone = new Set(s.undone);
  return {
    balance: balance ?? ((cardId, asset) => balances.get(`${cardId}|${asset}`) ?? 0),
    pointsEntries: (txn) => s.entries.filter((e) => e.transaction_id === txn).map(({ transaction_id: _t, ...e }) => e),
    legs: (entryId) => legs.get(entryId) ?? [],
    lotMoves: (cardId, entryId) => s.lot_moves.filter((m) => m.card_id === cardId && m.entry_id === entryId)
      .map((m) => ({ lotId: m.lot_id, schemeId: m.scheme_id, points: m.points })),
    draws: (txn) => s.draws.filter((d) => d.transaction_id === txn).map(({ transaction_id: _t, ...d }) => d),
    clawbacks: (txn) => s.clawbacks.filter((c) => c.transaction_id === txn).map(({ card_id, id }) => ({ card_id, id })),
    clawbackState: (cardId, earnEntryId) => states.get(`${cardId}|${earnEntryId}`) ?? { returned: 0, clawed: 0 },
    undone: (ids) => ids.some((id) => undone.has(id)),
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
  return loadState(db, req.at, [req.merchantId], [req.cardId], game === null ? [] : [game], []);
}

/** The view of transactions' points (the undo of points, claw-backs) with the balances of `cardIds`. */
export async function loadTransactionsView(db: Queryable, at: Date, transactionIds: readonly number[], cardIds: readonly number[]): Promise<PointsView> {
  return loadState(db, at, [], cardIds, [], transactionIds);
}

async function loadState(db: Queryable, at: Date, merchants: readonly number[], cards: readonly number[], games: readonly string[], txns: readonly number[]): Promise<PointsView> {
  const { rows } = await db.query<{ s: unknown }>({
    name: 'points_state', text: 'select purse_points_state($1::timestamptz, $2::bigint[], $3::bigint[], $4::text[], $5::bigint[]) as s',
    values: [at, merchants, cards, games, txns],
  });
  return pointsView(rows[0]!.s);
}
