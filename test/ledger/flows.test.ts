/**
 * The money-flows table of design §4, row by row, with worked numbers. Pure: no database. Each row
 * states its legs exactly and that they sum to zero per asset (and that balancedEntry accepts them).
 */
import { describe, expect, it } from 'vitest';
import type { Posting } from '../../src/ledger/entry.js';
import { balancedEntry } from '../../src/ledger/entry.js';
import { roundDiv } from '../../src/ledger/money.js';
import {
  breakageMemo, breakageReversal, bulkLoad, cardFee, cashOut, channelFeeLegs, channelFeeOf, commissionOf, dormancyFee,
  earnedPoints, escheat, exchangedPoints, lotteryDraw, lotteryGoodsPrize, payment, pointsClawback, pointsEarn, pointsExchange,
  pointsExpiry, pointsLoad, pointsRedeem, pointsRevaluation, posLoad, refund, refundCommission, remoteBreakage,
  replacementTransfer, settlePosition, spend, undo, type SchemePrices,
} from '../../src/ledger/flows/index.js';

const at = new Date('2026-03-01T04:00:00Z');

/** Sum per asset of `legs`. */
function sums(legs: readonly Posting[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of legs) out[l.asset] = (out[l.asset] ?? 0) + l.amount;
  return out;
}

/** Asserts `legs` balance per asset (and pass the balanced-entry constructor); returns them as account → amount. */
function balanced(legs: readonly Posting[]): Record<string, number> {
  for (const [asset, total] of Object.entries(sums(legs))) expect(total, `asset ${asset}`).toBe(0);
  expect(() => balancedEntry('purchase', legs, { occurredAt: at })).not.toThrow();
  const out: Record<string, number> = {};
  for (const l of legs) out[`${l.account} ${l.asset}`] = (out[`${l.account} ${l.asset}`] ?? 0) + l.amount;
  return out;
}

const CNY = 'CNY';
// v = 100 per 10,000 points (a point is worth 0.01 fen); issue price 150, sale price 200.
const mall: SchemePrices & { issuePrice: number; salePrice: number } = {
  id: 4, code: 'MALL', asset: 'PTS:MALL', currency: CNY, redemptionValue: 100, issuePrice: 150, salePrice: 200,
};
const air: SchemePrices = { id: 6, code: 'AIR', asset: 'PTS:AIR', currency: CNY, redemptionValue: 50 };

describe('r(x): round half away from zero (not Math.round)', () => {
  it('rounds halves away from zero on both signs', () => {
    expect(roundDiv(1, 2)).toBe(1);
    expect(roundDiv(-1, 2)).toBe(-1); // Math.round(-0.5) is -0
    expect(roundDiv(3, 2)).toBe(2);
    expect(roundDiv(-3, 2)).toBe(-2); // Math.round(-1.5) is -1
    expect(roundDiv(-49, 100)).toBe(0);
  });
});

describe('design §4 money flows, row by row', () => {
  it('bulk load onto card of issuer I: card value +a; issuer I −a', () => {
    expect(balanced(bulkLoad({ cardId: 7, issuerId: 3, currency: CNY, amount: 10_000 }))).toEqual({
      'card:7:value CNY': 10_000, 'issuer:3 CNY': -10_000,
    });
  });

  it('POS load or activation with value, cash taken by M: card value +a; merchant M −a', () => {
    expect(balanced(posLoad({ cardId: 7, merchantId: 5, currency: CNY, amount: 5_000 }))).toEqual({
      'card:7:value CNY': 5_000, 'merchant:5 CNY': -5_000,
    });
  });

  it('card fee: issuer I −fee; revenue:card_fees +fee', () => {
    expect(balanced(cardFee({ issuerId: 3, currency: CNY, fee: 500 }))).toEqual({ 'issuer:3 CNY': -500, 'revenue:card_fees CNY': 500 });
  });

  it('purchase / capture at M: card −a; merchant +(a−f); commission +f with f = r(a × bps / 10000)', () => {
    const p = spend({ cardId: 7, merchantId: 5, currency: CNY, amount: 1_000, commissionBps: 150 });
    expect(p.commission).toBe(15);
    expect(balanced(p.legs)).toEqual({ 'card:7:value CNY': -1_000, 'merchant:5 CNY': 985, 'revenue:merchant_commission CNY': 15 });
    // half a fen of commission rounds up: 3 × 5000 / 10000 = 1.5 → 2; 100 × 50 / 10000 = 0.5 → 1
    expect(spend({ cardId: 7, merchantId: 5, currency: CNY, amount: 3, commissionBps: 5_000 }).commission).toBe(2);
    expect(commissionOf(100, 50)).toBe(1);
    expect(commissionOf(99, 50)).toBe(0);
    // a negative amount rounds away from zero too: −0.5 → −1
    expect(commissionOf(-100, 50)).toBe(-1);
  });

  it('channel fee: channel +c; revenue:channel_fees −c, c = fixed + r(a × bps / 10000); points pay the fixed part', () => {
    const ch = { fixed: 1, bps: 10 };
    expect(channelFeeOf(ch, 1_000)).toBe(2);
    expect(channelFeeOf(ch, 500)).toBe(2); // 0.5 → 1
    expect(channelFeeOf(ch, 499)).toBe(1);
    expect(channelFeeOf(ch, 0)).toBe(1); // points_* and lottery
    expect(balanced(channelFeeLegs({ channelId: 2, currency: CNY, fee: 2 }))).toEqual({ 'channel:2 CNY': 2, 'revenue:channel_fees CNY': -2 });
  });

  const purchase = [
    ...spend({ cardId: 7, merchantId: 5, currency: CNY, amount: 1_000, commissionBps: 150 }).legs,
    ...channelFeeLegs({ channelId: 2, currency: CNY, fee: 2 }),
  ];

  it('void (same business date): the original negated except its channel fee', () => {
    expect(balanced(undo('void', purchase))).toEqual({ 'card:7:value CNY': 1_000, 'merchant:5 CNY': -985, 'revenue:merchant_commission CNY': -15 });
  });

  it('reversal: the original negated, channel fee included', () => {
    expect(balanced(undo('reversal', purchase))).toEqual({
      'card:7:value CNY': 1_000, 'merchant:5 CNY': -985, 'revenue:merchant_commission CNY': -15, 'channel:2 CNY': -2, 'revenue:channel_fees CNY': 2,
    });
    expect(balanced([...purchase, ...undo('reversal', purchase)])).toEqual(Object.fromEntries(Object.keys(balanced(purchase)).map((k) => [k, 0])));
  });

  describe('refund x of an earlier purchase: card +x; merchant −(x−fx); commission −fx, cumulative rounding', () => {
    /** Refunds `parts` of a purchase of `a` with commission `f` in turn; returns each fx and checks each part balances. */
    function refundAll(a: number, f: number, parts: number[]): number[] {
      let before = 0;
      return parts.map((x) => {
        const r = refund({ cardId: 7, merchantId: 5, currency: CNY, amount: x, purchaseAmount: a, commission: f, refundedBefore: before });
        expect(balanced(r.legs)).toEqual({ 'card:7:value CNY': x, 'merchant:5 CNY': r.commission - x, 'revenue:merchant_commission CNY': 0 - r.commission });
        before += x;
        return r.commission;
      });
    }

    it('a full refund in one part returns exactly f', () => {
      expect(refundAll(1_000, 15, [1_000])).toEqual([15]);
    });

    it('ten refunds of 1 fen of a 10-fen purchase with f = 1 return exactly 1 (rounded per part they would return 0)', () => {
      const fx = refundAll(10, 1, Array<number>(10).fill(1));
      expect(fx).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0, 0]); // r(0.5) at the fifth
      expect(fx.reduce((s, x) => s + x, 0)).toBe(1);
    });

    it('three refunds of a third return exactly f = 2 (rounded per part they would return 3)', () => {
      const fx = refundAll(3, 2, [1, 1, 1]);
      expect(fx).toEqual([1, 0, 1]); // r(2/3) = 1, r(4/3) − 1 = 0, 2 − 1 = 1
      expect(fx.reduce((s, x) => s + x, 0)).toBe(2);
    });

    it('uneven parts of 1001 fen at 150 bps return exactly f = 15', () => {
      const f = commissionOf(1_001, 150); // r(15.015)
      expect(f).toBe(15);
      const fx = refundAll(1_001, f, [333, 333, 335]);
      expect(fx.reduce((s, x) => s + x, 0)).toBe(15);
      expect(refundCommission({ commission: f, purchaseAmount: 1_001, refundedBefore: 0, refundedAfter: 1_001 })).toBe(15);
    });
  });

  it('points earn at M: p = min(cap, floor(a × rate / 100)); card +p, issued −p; merchant −r(p×issue), float +r(p×v), spread +difference', () => {
    expect(earnedPoints(1_050, 1, null)).toBe(10); // floor(10.5)
    expect(earnedPoints(1_050, 1, 5)).toBe(5);
    expect(earnedPoints(1_000, 100, null)).toBe(1_000);
    expect(balanced(pointsEarn(mall, { cardId: 7, merchantId: 5, points: 1_000 }))).toEqual({
      'card:7:points:MALL PTS:MALL': 1_000, 'scheme:4:issued PTS:MALL': -1_000,
      'merchant:5 CNY': -15, 'scheme:4:float CNY': 10, 'revenue:points_spread CNY': 5,
    });
    // 50 points: r(0.75) = 1 paid, r(0.5) = 1 backing (half up), spread 0
    expect(balanced(pointsEarn(mall, { cardId: 7, merchantId: 5, points: 50 }))).toEqual({
      'card:7:points:MALL PTS:MALL': 50, 'scheme:4:issued PTS:MALL': -50,
      'merchant:5 CNY': -1, 'scheme:4:float CNY': 1, 'revenue:points_spread CNY': 0,
    });
  });

  it('claw-back: the earn negated in proportion with cumulative rounding; parts adding to the whole negate it exactly', () => {
    // 10 points at issue price 1500 and v 1000 per 10,000: merchant −r(1.5) = −2, float +1, spread +1
    const s = { ...mall, issuePrice: 1_500, redemptionValue: 1_000 };
    const earn = [...pointsEarn(s, { cardId: 7, merchantId: 5, points: 10 }), ...channelFeeLegs({ channelId: 2, currency: CNY, fee: 1 })];
    const first = pointsClawback(earn, 10, 0, 5);
    expect(balanced(first)).toEqual({
      'card:7:points:MALL PTS:MALL': -5, 'scheme:4:issued PTS:MALL': 5, 'merchant:5 CNY': 1, 'scheme:4:float CNY': -1,
    });
    const rest = pointsClawback(earn, 10, 5, 10);
    expect(balanced(rest)).toEqual({
      'card:7:points:MALL PTS:MALL': -5, 'scheme:4:issued PTS:MALL': 5, 'merchant:5 CNY': 1, 'scheme:4:float CNY': 0, 'revenue:points_spread CNY': -1,
    });
    // together: the earn negated exactly, its channel fee kept
    const together = balanced([...first, ...rest]);
    const earnOnly = balanced(earn.filter((l) => !l.account.startsWith('channel:') && l.account !== 'revenue:channel_fees'));
    for (const [k, v] of Object.entries(earnOnly)) expect(together[k] ?? 0, k).toBe(-v);
  });

  it('points redeem p at M: card −p, issued +p; float −r(p×v), merchant +r(p×v)', () => {
    expect(balanced(pointsRedeem(mall, { cardId: 7, merchantId: 5, points: 250 }))).toEqual({
      'card:7:points:MALL PTS:MALL': -250, 'scheme:4:issued PTS:MALL': 250, 'scheme:4:float CNY': -3, 'merchant:5 CNY': 3, // r(2.5) = 3
    });
  });

  it('points load at M: like earn with the sale price', () => {
    expect(balanced(pointsLoad(mall, { cardId: 7, merchantId: 5, points: 1_000 }))).toEqual({
      'card:7:points:MALL PTS:MALL': 1_000, 'scheme:4:issued PTS:MALL': -1_000,
      'merchant:5 CNY': -20, 'scheme:4:float CNY': 10, 'revenue:points_spread CNY': 10,
    });
  });

  it('points exchange S1→S2: p2 = floor(p1 × rate); S1 float −r(p1×v1), S2 float +r(p2×v2), spread the difference', () => {
    expect(exchangedPoints(1_000, 500_000)).toBe(500);
    expect(exchangedPoints(3, 333_333)).toBe(0); // 0.999999: never in the cardholder's favour
    expect(balanced(pointsExchange(mall, air, { cardId: 7, p1: 1_000, p2: 500 }))).toEqual({
      'card:7:points:MALL PTS:MALL': -1_000, 'scheme:4:issued PTS:MALL': 1_000,
      'card:7:points:AIR PTS:AIR': 500, 'scheme:6:issued PTS:AIR': -500,
      'scheme:4:float CNY': -10, 'scheme:6:float CNY': 3, 'revenue:points_spread CNY': 7, // r(2.5) = 3
    });
  });

  it('lottery draw (cost k, points prize q): card −k+q, issued +k−q; float −r((k−q)×v), revenue:lottery +r((k−q)×v)', () => {
    expect(balanced(lotteryDraw(mall, { cardId: 7, cost: 100, prize: 0 }))).toEqual({
      'card:7:points:MALL PTS:MALL': -100, 'scheme:4:issued PTS:MALL': 100, 'scheme:4:float CNY': -1, 'revenue:lottery CNY': 1,
    });
    // q > k: the lottery loses r(−50 × 100 / 10000) = r(−0.5) = −1, away from zero
    expect(balanced(lotteryDraw(mall, { cardId: 7, cost: 10, prize: 60 }))).toEqual({
      'card:7:points:MALL PTS:MALL': 50, 'scheme:4:issued PTS:MALL': -50, 'scheme:4:float CNY': 1, 'revenue:lottery CNY': -1,
    });
    expect(lotteryDraw(mall, { cardId: 7, cost: 20, prize: 20 })).toEqual([]);
  });

  it('lottery goods prize of value g supplied by M: merchant M +g; revenue:lottery −g', () => {
    expect(balanced(lotteryGoodsPrize({ supplierId: 5, currency: CNY, value: 2_000 }))).toEqual({ 'merchant:5 CNY': 2_000, 'revenue:lottery CNY': -2_000 });
  });

  it('card replacement / balance transfer: old card −b, new card +b, value and points per scheme', () => {
    expect(balanced(replacementTransfer({
      fromCardId: 7, toCardId: 8,
      balances: [{ asset: CNY, scheme: null, amount: 1_234 }, { asset: 'PTS:MALL', scheme: 'MALL', amount: 50 }],
    }))).toEqual({
      'card:7:value CNY': -1_234, 'card:8:value CNY': 1_234, 'card:7:points:MALL PTS:MALL': -50, 'card:8:points:MALL PTS:MALL': 50,
    });
  });

  it('cash-out of a named card paid by issuer I: card value −b; issuer I +b', () => {
    expect(balanced(cashOut({ cardId: 7, issuerId: 3, currency: CNY, amount: 800 }))).toEqual({ 'card:7:value CNY': -800, 'issuer:3 CNY': 800 });
  });

  it('dormancy fee, never below zero: card value −d; revenue:dormancy_fees +d (or issuer I +d)', () => {
    const full = dormancyFee({ cardId: 7, currency: CNY, fee: 500, available: 3_000 });
    expect(full.charged).toBe(500);
    expect(balanced(full.legs)).toEqual({ 'card:7:value CNY': -500, 'revenue:dormancy_fees CNY': 500 });
    const capped = dormancyFee({ cardId: 7, currency: CNY, fee: 500, available: 300 });
    expect(capped.charged).toBe(300);
    expect(balanced(capped.legs)).toEqual({ 'card:7:value CNY': -300, 'revenue:dormancy_fees CNY': 300 });
    expect(balanced(dormancyFee({ cardId: 7, currency: CNY, fee: 500, available: 3_000, issuerId: 3 }).legs)).toEqual({ 'card:7:value CNY': -500, 'issuer:3 CNY': 500 });
  });

  it('remote breakage: card value −b; issuer I +b (or revenue:breakage +b); reactivation posts the reverse', () => {
    const legs = remoteBreakage({ cardId: 7, issuerId: 3, currency: CNY, amount: 900, target: 'issuer' });
    expect(balanced(legs)).toEqual({ 'card:7:value CNY': -900, 'issuer:3 CNY': 900 });
    expect(balanced(remoteBreakage({ cardId: 7, issuerId: 3, currency: CNY, amount: 900, target: 'revenue:breakage' }))).toEqual({
      'card:7:value CNY': -900, 'revenue:breakage CNY': 900,
    });
    expect(balanced(breakageReversal(legs))).toEqual({ 'card:7:value CNY': 900, 'issuer:3 CNY': -900 });
  });

  it('unclaimed property (escheat): card value −b; escheat:I +b', () => {
    expect(balanced(escheat({ cardId: 7, issuerId: 3, currency: CNY, amount: 450 }))).toEqual({ 'card:7:value CNY': -450, 'escheat:3 CNY': 450 });
  });

  it('proportional breakage: memo:breakage_income:I +x, memo:breakage_reserve:<program> −x', () => {
    expect(balanced(breakageMemo({ issuerId: 3, programId: 9, currency: CNY, amount: 120 }))).toEqual({
      'memo:breakage_income:3 CNY': 120, 'memo:breakage_reserve:9 CNY': -120,
    });
    // a true-up may be negative
    expect(balanced(breakageMemo({ issuerId: 3, programId: 9, currency: CNY, amount: -40 }))).toEqual({
      'memo:breakage_income:3 CNY': -40, 'memo:breakage_reserve:9 CNY': 40,
    });
  });

  it('points expiry of p: card −p, issued +p; float −r(p×v), revenue:points_breakage +r(p×v)', () => {
    expect(balanced(pointsExpiry({ ...mall, redemptionValue: 150 }, { cardId: 7, points: 34 }))).toEqual({
      'card:7:points:MALL PTS:MALL': -34, 'scheme:4:issued PTS:MALL': 34, 'scheme:4:float CNY': -1, 'revenue:points_breakage CNY': 1, // r(0.51)
    });
    expect(balanced(pointsExpiry({ ...mall, redemptionValue: 150 }, { cardId: 7, points: 33 }))).toEqual({
      'card:7:points:MALL PTS:MALL': -33, 'scheme:4:issued PTS:MALL': 33, 'scheme:4:float CNY': 0, 'revenue:points_breakage CNY': 0, // r(0.495)
    });
  });

  it('points revaluation: float ± d, points_spread ∓ d so that float = r(outstanding × v)', () => {
    const down = pointsRevaluation(mall, { outstanding: 1_005, float: 11 }); // r(10.05) = 10
    expect(down.revaluation).toBe(-1);
    expect(balanced(down.legs)).toEqual({ 'scheme:4:float CNY': -1, 'revenue:points_spread CNY': 1 });
    const up = pointsRevaluation(mall, { outstanding: 1_050, float: 10 }); // r(10.5) = 11
    expect(up.revaluation).toBe(1);
    expect(balanced(up.legs)).toEqual({ 'scheme:4:float CNY': 1, 'revenue:points_spread CNY': -1 });
    expect(pointsRevaluation(mall, { outstanding: 1_000, float: 10 })).toEqual({ legs: [], revaluation: 0 });
  });

  it('settlement of a date for party P: party −position; settled:P +position; a payment moves settled:P to bank', () => {
    expect(balanced(settlePosition({ party: 'merchant:5', asset: CNY, position: 985 }))).toEqual({ 'merchant:5 CNY': -985, 'settled:merchant_5 CNY': 985 });
    expect(balanced(settlePosition({ party: 'issuer:3', asset: CNY, position: -10_000 }))).toEqual({ 'issuer:3 CNY': 10_000, 'settled:issuer_3 CNY': -10_000 });
    expect(balanced(payment({ party: 'merchant:5', asset: CNY, amount: 985 }))).toEqual({ 'settled:merchant_5 CNY': -985, 'bank CNY': 985 });
  });
});
