/**
 * Pricing and entry builders for the points rows of the money-flow table (design §4), exactly.
 * Pure: numbers in, balanced `Entry` objects out; the pipeline posts them with its other entries.
 */
import { balancedEntry, type Entry, type Posting } from '../ledger/entry.js';
import { account } from '../ledger/accounts.js';
import { floorDiv, pointsValue, roundDiv } from '../ledger/money.js';
import type { SchemeRow } from './lookup.js';

/** Entry fields the caller decides: business time, its transaction and channel, optionally a business date. */
export interface EntryMeta {
  occurredAt: Date;
  transactionId?: number | null;
  channelId?: number | null;
  businessDate?: string | null;
}

type Prices = Pick<SchemeRow, 'id' | 'code' | 'currency' | 'asset' | 'redemptionValue'>;

/** Points earned on a purchase of `amount` minor units: p = min(cap, floor(amount × rate / 100)). */
export function earnedPoints(amount: number, rate: number, cap: number | null): number {
  const p = floorDiv(BigInt(amount) * BigInt(rate), 100n);
  return cap === null ? p : Math.min(cap, p);
}

/** Points of the target scheme for `p1` source points at `rateMicro` (× 1e6): floor, never in the cardholder's favour. */
export function exchangedPoints(p1: number, rateMicro: number): number {
  return floorDiv(BigInt(p1) * BigInt(rateMicro), 1_000_000n);
}

/** A channel's fee legs (channel account, revenue:channel_fees): a void keeps them, a reversal negates them. */
export function isChannelFeeLeg(p: Posting): boolean {
  return p.account.startsWith('channel:') || p.account === account.revenue('channel_fees');
}

/**
 * Points credited to a card and funded by a merchant at `pricePer10k` (earn: issue price; load:
 * sale price): points card +p, issued −p; money merchant −r(p×price), float +r(p×v),
 * points_spread +(r(p×price) − r(p×v)).
 */
function fundedCreditLegs(s: Prices, cardId: number, merchantId: number, p: number, pricePer10k: number): Posting[] {
  const paid = pointsValue(p, pricePer10k);
  const backing = pointsValue(p, s.redemptionValue);
  return [
    { account: account.cardPoints(cardId, s.code), asset: s.asset, amount: p },
    { account: account.schemeIssued(s.id), asset: s.asset, amount: -p },
    { account: account.merchant(merchantId), asset: s.currency, amount: -paid },
    { account: account.schemeFloat(s.id), asset: s.currency, amount: backing },
    { account: account.revenue('points_spread'), asset: s.currency, amount: paid - backing },
  ];
}

/** `points_earn` of `p` points at merchant M, funded at the scheme's issue price (design §4). */
export function earnEntry(s: SchemeRow, cardId: number, merchantId: number, p: number, meta: EntryMeta, memo: Record<string, unknown>): Entry {
  return balancedEntry('points_earn', fundedCreditLegs(s, cardId, merchantId, p, s.issuePrice), { ...meta, merchantId, memo });
}

/** `points_load`: `p` points sold to the cardholder at M, like earn with the sale price (design §4). */
export function pointsLoadEntry(s: SchemeRow, cardId: number, merchantId: number, p: number, meta: EntryMeta): Entry {
  return balancedEntry('points_load', fundedCreditLegs(s, cardId, merchantId, p, s.salePrice), { ...meta, merchantId, memo: { scheme: s.code, points: p } });
}

/** `points_redeem` of `p` points at M: points card −p, issued +p; money float −r(p×v), merchant +r(p×v). */
export function redeemEntry(s: Prices, cardId: number, merchantId: number, p: number, meta: EntryMeta): Entry {
  const value = pointsValue(p, s.redemptionValue);
  return balancedEntry('points_redeem', [
    { account: account.cardPoints(cardId, s.code), asset: s.asset, amount: -p },
    { account: account.schemeIssued(s.id), asset: s.asset, amount: p },
    { account: account.schemeFloat(s.id), asset: s.currency, amount: -value },
    { account: account.merchant(merchantId), asset: s.currency, amount: value },
  ], { ...meta, merchantId, memo: { scheme: s.code, points: p } });
}

/**
 * `points_exchange` S1→S2: points card S1 −p1, S1 issued +p1, card S2 +p2, S2 issued −p2; money
 * S1 float −r(p1×v1), S2 float +r(p2×v2), points_spread +(r(p1×v1) − r(p2×v2)). Both schemes
 * must share a currency (the caller checks).
 */
export function exchangeEntry(
  s1: Prices, s2: Prices, cardId: number, p1: number, p2: number, merchantId: number, meta: EntryMeta, memo: Record<string, unknown>,
): Entry {
  const out = pointsValue(p1, s1.redemptionValue);
  const back = pointsValue(p2, s2.redemptionValue);
  return balancedEntry('points_exchange', [
    { account: account.cardPoints(cardId, s1.code), asset: s1.asset, amount: -p1 },
    { account: account.schemeIssued(s1.id), asset: s1.asset, amount: p1 },
    { account: account.cardPoints(cardId, s2.code), asset: s2.asset, amount: p2 },
    { account: account.schemeIssued(s2.id), asset: s2.asset, amount: -p2 },
    { account: account.schemeFloat(s1.id), asset: s1.currency, amount: -out },
    { account: account.schemeFloat(s2.id), asset: s2.currency, amount: back },
    { account: account.revenue('points_spread'), asset: s1.currency, amount: out - back },
  ], { ...meta, merchantId, memo });
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
  const value = pointsValue(k - q, s.redemptionValue);
  return balancedEntry('lottery', [
    { account: account.cardPoints(cardId, s.code), asset: s.asset, amount: q - k },
    { account: account.schemeIssued(s.id), asset: s.asset, amount: k - q },
    { account: account.schemeFloat(s.id), asset: s.currency, amount: -value },
    { account: account.revenue('lottery'), asset: s.currency, amount: value },
  ], { ...meta, merchantId, memo });
}

/** `lottery_prize`: a goods prize of value g supplied by merchant M: merchant M +g; revenue:lottery −g. */
export function lotteryPrizeEntry(currency: string, supplierId: number, g: number, meta: EntryMeta, memo: Record<string, unknown>): Entry {
  return balancedEntry('lottery_prize', [
    { account: account.merchant(supplierId), asset: currency, amount: g },
    { account: account.revenue('lottery'), asset: currency, amount: -g },
  ], { ...meta, merchantId: supplierId, memo });
}

/** `points_expiry` of p points: points card −p, issued +p; money float −r(p×v), revenue:points_breakage +r(p×v). */
export function expiryEntry(s: Prices, cardId: number, p: number, meta: EntryMeta, memo: Record<string, unknown>): Entry {
  const value = pointsValue(p, s.redemptionValue);
  return balancedEntry('points_expiry', [
    { account: account.cardPoints(cardId, s.code), asset: s.asset, amount: -p },
    { account: account.schemeIssued(s.id), asset: s.asset, amount: p },
    { account: account.schemeFloat(s.id), asset: s.currency, amount: -value },
    { account: account.revenue('points_breakage'), asset: s.currency, amount: value },
  ], { ...meta, memo });
}

/**
 * Legs of a claw-back: the earn entry's legs (channel fee legs excluded) negated in proportion
 * `pointsAfter / earned` minus what `pointsBefore / earned` already took, each leg rounded
 * cumulatively (r(L × after / p) − r(L × before / p)) like refunds, so claw-backs that add up to
 * the whole earn negate it exactly. The points legs come out exact (L = ±p); per currency the
 * points_spread leg absorbs the rounding so the entry balances.
 */
export function clawbackLegs(earnLegs: readonly Posting[], earned: number, pointsBefore: number, pointsAfter: number): Posting[] {
  const spread = account.revenue('points_spread');
  const legs: Posting[] = [];
  const sums = new Map<string, number>();
  for (const leg of earnLegs) {
    if (isChannelFeeLeg(leg) || leg.account === spread) continue;
    const share = roundDiv(BigInt(leg.amount) * BigInt(pointsAfter), earned) - roundDiv(BigInt(leg.amount) * BigInt(pointsBefore), earned);
    legs.push({ account: leg.account, asset: leg.asset, amount: -share });
    sums.set(leg.asset, (sums.get(leg.asset) ?? 0) - share);
  }
  for (const [asset, sum] of sums) if (sum !== 0) legs.push({ account: spread, asset, amount: -sum });
  return legs;
}
