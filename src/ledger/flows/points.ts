/**
 * The points rows of the money-flows table (design §4): earn, claw-back, redeem, points load,
 * exchange, lottery draw and goods prize, expiry and revaluation. Pure: scheme prices and integer
 * quantities in, legs out; every function's legs sum to zero per asset. Prices are per 10,000
 * points (fractions of a fen exactly), money legs r(points × price / 10000).
 */
import type { Posting } from '../entry.js';
import { account } from '../accounts.js';
import { floorDiv, pointsValue, roundDiv } from '../money.js';
import { isChannelFeeLeg } from './stored-value.js';

/** What a points flow needs of its scheme: ids, asset, money currency and redemption value v. */
export interface SchemePrices {
  id: number;
  code: string;
  /** `PTS:<code>` */
  asset: string;
  currency: string;
  /** v, money per 10,000 points. */
  redemptionValue: number;
}

/** Points earned on a purchase of `amount` minor units: p = min(cap, floor(amount × rate / 100)). */
export function earnedPoints(amount: number, rate: number, cap: number | null): number {
  const p = floorDiv(BigInt(amount) * BigInt(rate), 100n);
  return cap === null ? p : Math.min(cap, p);
}

/** Points of the target scheme for `p1` source points at `rateMicro` (× 1e6): floor, never in the cardholder's favour. */
export function exchangedPoints(p1: number, rateMicro: number): number {
  return floorDiv(BigInt(p1) * BigInt(rateMicro), 1_000_000n);
}

/**
 * Points credited to a card and paid for by merchant M at `pricePer10k` (earn: the issue price;
 * points load: the sale price): points card +p, issued −p; money merchant −r(p×price),
 * float +r(p×v), revenue:points_spread +(r(p×price) − r(p×v)).
 */
function fundedPoints(s: SchemePrices, x: { cardId: number; merchantId: number; points: number; pricePer10k: number }): Posting[] {
  const paid = pointsValue(x.points, x.pricePer10k);
  const backing = pointsValue(x.points, s.redemptionValue);
  return [
    { account: account.cardPoints(x.cardId, s.code), asset: s.asset, amount: x.points },
    { account: account.schemeIssued(s.id), asset: s.asset, amount: -x.points },
    { account: account.merchant(x.merchantId), asset: s.currency, amount: -paid },
    { account: account.schemeFloat(s.id), asset: s.currency, amount: backing },
    { account: account.revenue('points_spread'), asset: s.currency, amount: paid - backing },
  ];
}

/** Points earn of p at M, funded at the scheme's issue price. */
export function pointsEarn(s: SchemePrices & { issuePrice: number }, x: { cardId: number; merchantId: number; points: number }): Posting[] {
  return fundedPoints(s, { ...x, pricePer10k: s.issuePrice });
}

/** Points load: p points sold to the cardholder at M, like earn with the sale price. */
export function pointsLoad(s: SchemePrices & { salePrice: number }, x: { cardId: number; merchantId: number; points: number }): Posting[] {
  return fundedPoints(s, { ...x, pricePer10k: s.salePrice });
}

/**
 * Claw-back of earned points (void, reversal or refund of the linked purchase): the earn entry's
 * legs (channel fee legs excluded) negated in proportion `pointsAfter / earned` minus what
 * `pointsBefore / earned` already took, each leg rounded cumulatively (r(L × after / p) −
 * r(L × before / p)) like refunds, so claw-backs that add up to the whole earn negate it exactly.
 * The points legs come out exact (L = ±p); per currency the points_spread leg absorbs the rounding
 * so the legs balance. The cap at the points still on the card is the caller's (it sets pointsAfter).
 */
export function pointsClawback(earnLegs: readonly Posting[], earned: number, pointsBefore: number, pointsAfter: number): Posting[] {
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

/** Points redeem of p at M: points card −p, issued +p; money float −r(p×v), merchant M +r(p×v). */
export function pointsRedeem(s: SchemePrices, x: { cardId: number; merchantId: number; points: number }): Posting[] {
  const value = pointsValue(x.points, s.redemptionValue);
  return [
    { account: account.cardPoints(x.cardId, s.code), asset: s.asset, amount: -x.points },
    { account: account.schemeIssued(s.id), asset: s.asset, amount: x.points },
    { account: account.schemeFloat(s.id), asset: s.currency, amount: -value },
    { account: account.merchant(x.merchantId), asset: s.currency, amount: value },
  ];
}

/**
 * Points exchange S1→S2 of p1 for p2 (exchangedPoints): points card S1 −p1, S1 issued +p1, card S2
 * +p2, S2 issued −p2; money S1 float −r(p1×v1), S2 float +r(p2×v2), revenue:points_spread
 * +(r(p1×v1) − r(p2×v2)). Both schemes share a currency (the caller checks).
 */
export function pointsExchange(s1: SchemePrices, s2: SchemePrices, x: { cardId: number; p1: number; p2: number }): Posting[] {
  const out = pointsValue(x.p1, s1.redemptionValue);
  const back = pointsValue(x.p2, s2.redemptionValue);
  return [
    { account: account.cardPoints(x.cardId, s1.code), asset: s1.asset, amount: -x.p1 },
    { account: account.schemeIssued(s1.id), asset: s1.asset, amount: x.p1 },
    { account: account.cardPoints(x.cardId, s2.code), asset: s2.asset, amount: x.p2 },
    { account: account.schemeIssued(s2.id), asset: s2.asset, amount: -x.p2 },
    { account: account.schemeFloat(s1.id), asset: s1.currency, amount: -out },
    { account: account.schemeFloat(s2.id), asset: s2.currency, amount: back },
    { account: account.revenue('points_spread'), asset: s1.currency, amount: out - back },
  ];
}

/**
 * Lottery draw costing k points with a points prize q (0 for none or a goods prize): points card
 * −k+q, issued +k−q; money float −r((k−q)×v), revenue:lottery +r((k−q)×v), negative when q > k.
 * No legs when k = q.
 */
export function lotteryDraw(s: SchemePrices, x: { cardId: number; cost: number; prize: number }): Posting[] {
  if (x.cost === x.prize) return [];
  const value = pointsValue(x.cost - x.prize, s.redemptionValue);
  return [
    { account: account.cardPoints(x.cardId, s.code), asset: s.asset, amount: x.prize - x.cost },
    { account: account.schemeIssued(s.id), asset: s.asset, amount: x.cost - x.prize },
    { account: account.schemeFloat(s.id), asset: s.currency, amount: -value },
    { account: account.revenue('lottery'), asset: s.currency, amount: value },
  ];
}

/** Lottery goods prize of value g supplied by merchant M: merchant M +g; revenue:lottery −g. */
export function lotteryGoodsPrize(x: { supplierId: number; currency: string; value: number }): Posting[] {
  return [
    { account: account.merchant(x.supplierId), asset: x.currency, amount: x.value },
    { account: account.revenue('lottery'), asset: x.currency, amount: -x.value },
  ];
}

/** Points expiry of p: points card −p, issued +p; money float −r(p×v), revenue:points_breakage +r(p×v). */
export function pointsExpiry(s: SchemePrices, x: { cardId: number; points: number }): Posting[] {
  const value = pointsValue(x.points, s.redemptionValue);
  return [
    { account: account.cardPoints(x.cardId, s.code), asset: s.asset, amount: -x.points },
    { account: account.schemeIssued(s.id), asset: s.asset, amount: x.points },
    { account: account.schemeFloat(s.id), asset: s.currency, amount: -value },
    { account: account.revenue('points_breakage'), asset: s.currency, amount: value },
  ];
}

/**
 * Points revaluation (at settlement): d = r(outstanding × v) − float; scheme float +d,
 * revenue:points_spread −d, so that the float equals r(outstanding × v) exactly. No legs when d = 0.
 * Settlement computes the same in SQL for every scheme at once (settlement/settle-post.ts).
 */
export function pointsRevaluation(s: SchemePrices, x: { outstanding: number; float: number }): { legs: Posting[]; revaluation: number } {
  const d = pointsValue(x.outstanding, s.redemptionValue) - x.float;
  if (d === 0) return { legs: [], revaluation: 0 };
  return {
    revaluation: d,
    legs: [
      { account: account.schemeFloat(s.id), asset: s.currency, amount: d },
      { account: account.revenue('points_spread'), asset: s.currency, amount: -d },
    ],
  };
}
