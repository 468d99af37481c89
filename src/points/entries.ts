/**
 * Entry builders for the points rows of the money-flow table (design §4): the legs come from
 * ledger/flows (the table in one place), wrapped here with their kind, links and memo.
 * Pure: numbers in, balanced `Entry` objects out; the pipeline posts them with its other entries.
 */
import { balancedEntry, type Entry, type Posting } from '../ledger/entry.js';
import {
  lotteryDraw, lotteryGoodsPrize, pointsClawback, pointsEarn, pointsExchange, pointsExpiry, pointsLoad, pointsRedeem,
} from '../ledger/flows/index.js';
import type { SchemeRow } from './lookup.js';

// Points pricing and the channel-fee test belong to the money-flows table; re-exported for the points domain.
export { earnedPoints, exchangedPoints, isChannelFeeLeg } from '../ledger/flows/index.js';

/** Entry fields the caller decides: business time, its transaction and channel, optionally a business date. */
export interface EntryMeta {
  occurredAt: Date;
  transactionId?: number | null;
  channelId?: number | null;
  businessDate?: string | null;
}

type Prices = Pick<SchemeRow, 'id' | 'code' | 'currency' | 'asset' | 'redemptionValue'>;

/** `points_earn` of `p` points at merchant M, funded at the scheme's issue price (design §4). */
export function earnEntry(s: SchemeRow, cardId: number, merchantId: number, p: number, meta: EntryMeta, memo: Record<string, unknown>): Entry {
  return balancedEntry('points_earn', pointsEarn(s, { cardId, merchantId, points: p }), { ...meta, merchantId, memo });
}

/** `points_load`: `p` points sold to the cardholder at M, like earn with the sale price (design §4). */
export function pointsLoadEntry(s: SchemeRow, cardId: number, merchantId: number, p: number, meta: EntryMeta): Entry {
  return balancedEntry('points_load', pointsLoad(s, { cardId, merchantId, points: p }), { ...meta, merchantId, memo: { scheme: s.code, points: p } });
}

/** `points_redeem` of `p` points at M: points card −p, issued +p; money float −r(p×v), merchant +r(p×v). */
export function redeemEntry(s: Prices, cardId: number, merchantId: number, p: number, meta: EntryMeta): Entry {
  return balancedEntry('points_redeem', pointsRedeem(s, { cardId, merchantId, points: p }), { ...meta, merchantId, memo: { scheme: s.code, points: p } });
}

/**
 * `points_exchange` S1→S2: points card S1 −p1, S1 issued +p1, card S2 +p2, S2 issued −p2; money
 * S1 float −r(p1×v1), S2 float +r(p2×v2), points_spread +(r(p1×v1) − r(p2×v2)). Both schemes
 * must share a currency (the caller checks).
 */
export function exchangeEntry(
  s1: Prices, s2: Prices, cardId: number, p1: number, p2: number, merchantId: number, meta: EntryMeta, memo: Record<string, unknown>,
): Entry {
  return balancedEntry('points_exchange', pointsExchange(s1, s2, { cardId, p1, p2 }), { ...meta, merchantId, memo });
}

/**
 * `lottery` draw costing k points with a points prize q (0 for none or a goods prize): points card
 * −k+q, issued +k−q; money float −r((k−q)×v), revenue:lottery +r((k−q)×v). Null when k = q (the
 * entry would have no legs).
 */
export function lotteryEntry(
  s: Prices, cardId: number, k: number, q: number, merchantId: number, meta: EntryMeta, memo: Record<string, unknown>,
): Entry | null {
  if (k === q) return null;
  return balancedEntry('lottery', lotteryDraw(s, { cardId, cost: k, prize: q }), { ...meta, merchantId, memo });
}

/** `lottery_prize`: a goods prize of value g supplied by merchant M: merchant M +g; revenue:lottery −g. */
export function lotteryPrizeEntry(currency: string, supplierId: number, g: number, meta: EntryMeta, memo: Record<string, unknown>): Entry {
  return balancedEntry('lottery_prize', lotteryGoodsPrize({ supplierId, currency, value: g }), { ...meta, merchantId: supplierId, memo });
}

/** `points_expiry` of p points: points card −p, issued +p; money float −r(p×v), revenue:points_breakage +r(p×v). */
export function expiryEntry(s: Prices, cardId: number, p: number, meta: EntryMeta, memo: Record<string, unknown>): Entry {
  return balancedEntry('points_expiry', pointsExpiry(s, { cardId, points: p }), { ...meta, memo });
}

/** Legs of a claw-back of `pointsBefore`…`pointsAfter` of `earned` points (ledger/flows pointsClawback: cumulative rounding). */
export function clawbackLegs(earnLegs: readonly Posting[], earned: number, pointsBefore: number, pointsAfter: number): Posting[] {
  return pointsClawback(earnLegs, earned, pointsBefore, pointsAfter);
}
