/**
 * The stored-value rows of the money-flows table (design §4): loads, card fees, purchases with
 * commission, channel fees, refunds, voids and reversals, replacement transfers and cash-out.
 * Pure: ids and integer amounts in, legs out; every function's legs sum to zero per asset.
 */
import { negatedLegs, type Posting } from '../entry.js';
import { account } from '../accounts.js';
import { bpsOf, roundDiv } from '../money.js';

/** Bulk load onto a card of issuer I: card value +a; issuer I −a. */
export function bulkLoad(x: { cardId: number; issuerId: number; currency: string; amount: number }): Posting[] {
  return [
    { account: account.cardValue(x.cardId), asset: x.currency, amount: x.amount },
    { account: account.issuer(x.issuerId), asset: x.currency, amount: -x.amount },
  ];
}

/** POS load, or activation with value, the cash taken by merchant M: card value +a; merchant M −a. */
export function posLoad(x: { cardId: number; merchantId: number; currency: string; amount: number }): Posting[] {
  return [
    { account: account.cardValue(x.cardId), asset: x.currency, amount: x.amount },
    { account: account.merchant(x.merchantId), asset: x.currency, amount: -x.amount },
  ];
}

/** Card fee (issuance or replacement) charged to the issuer: issuer I −fee; revenue:card_fees +fee. */
export function cardFee(x: { issuerId: number; currency: string; fee: number }): Posting[] {
  return [
    { account: account.issuer(x.issuerId), asset: x.currency, amount: -x.fee },
    { account: account.revenue('card_fees'), asset: x.currency, amount: x.fee },
  ];
}

/** Merchant commission on a redemption of `amount`: f = r(a × bps / 10000). */
export function commissionOf(amount: number, commissionBps: number): number {
  return bpsOf(amount, commissionBps);
}

/**
 * Purchase or capture of a at merchant M: card value −a; merchant M +(a−f);
 * revenue:merchant_commission +f with f = commissionOf(a, bps).
 */
export function spend(x: { cardId: number; merchantId: number; currency: string; amount: number; commissionBps: number }): { legs: Posting[]; commission: number } {
  const commission = commissionOf(x.amount, x.commissionBps);
  return {
    commission,
    legs: [
      { account: account.cardValue(x.cardId), asset: x.currency, amount: -x.amount },
      { account: account.merchant(x.merchantId), asset: x.currency, amount: x.amount - commission },
      { account: account.revenue('merchant_commission'), asset: x.currency, amount: commission },
    ],
  };
}

/**
 * Channel fee c = fixed + r(a × bps / 10000) on an approved financial transaction, a being its
 * stored-value amount (`load`, `activate` with value, `purchase`, `capture`, `refund`). Points and
 * lottery transactions pay the fixed part only: pass a = 0. Balance, preauth, void and reversal pay
 * nothing: post no fee legs.
 */
export function channelFeeOf(x: { fixed: number; bps: number }, storedValueAmount: number): number {
  return x.fixed + bpsOf(storedValueAmount, x.bps);
}

/** The channel fee legs: channel +c; revenue:channel_fees −c. */
export function channelFeeLegs(x: { channelId: number; currency: string; fee: number }): Posting[] {
  return [
    { account: account.channel(x.channelId), asset: x.currency, amount: x.fee },
    { account: account.revenue('channel_fees'), asset: x.currency, amount: -x.fee },
  ];
}

/** Whether a posting is a channel-fee leg (a void keeps those: the channel did the work). */
export function isChannelFeeLeg(p: Posting): boolean {
  return p.account.startsWith('channel:') || p.account === account.revenue('channel_fees');
}

/**
 * The commission a refund returns, with cumulative rounding: fx = r(f × after / a) − r(f × before / a),
 * where a is the purchase amount, f its commission, and before/after what was refunded before and
 * after this refund; refunds that add up to a return exactly f.
 */
export function refundCommission(x: { commission: number; purchaseAmount: number; refundedBefore: number; refundedAfter: number }): number {
  const f = BigInt(x.commission);
  return roundDiv(f * BigInt(x.refundedAfter), x.purchaseAmount) - roundDiv(f * BigInt(x.refundedBefore), x.purchaseAmount);
}

/**
 * Refund of x of an earlier purchase of a (commission f, `refundedBefore` already refunded):
 * card value +x; merchant −(x−fx); revenue:merchant_commission −fx (fx from refundCommission).
 * The caller checks x ≤ a − refundedBefore.
 */
export function refund(x: {
  cardId: number; merchantId: number; currency: string; amount: number; purchaseAmount: number; commission: number; refundedBefore: number;
}): { legs: Posting[]; commission: number } {
  const fx = refundCommission({ commission: x.commission, purchaseAmount: x.purchaseAmount, refundedBefore: x.refundedBefore, refundedAfter: x.refundedBefore + x.amount });
  return {
    commission: fx,
    legs: [
      { account: account.cardValue(x.cardId), asset: x.currency, amount: x.amount },
      { account: account.merchant(x.merchantId), asset: x.currency, amount: fx - x.amount },
      { account: account.revenue('merchant_commission'), asset: x.currency, amount: -fx },
    ],
  };
}

/**
 * Void (same business date) or reversal of an original entry: its legs negated; a void keeps the
 * channel fee (the channel did the work), a reversal returns it too (the transaction never completed).
 */
export function undo(kind: 'void' | 'reversal', originalLegs: readonly Posting[]): Posting[] {
  return negatedLegs(kind === 'reversal' ? originalLegs : originalLegs.filter((p) => !isChannelFeeLeg(p)));
}

/** One balance a replacement moves: stored value (scheme null) or the points of a scheme. */
export interface CardBalance { asset: string; scheme: string | null; amount: number }

/** Card replacement / balance transfer: per asset, old card −b, new card +b. */
export function replacementTransfer(x: { fromCardId: number; toCardId: number; balances: readonly CardBalance[] }): Posting[] {
  const acct = (cardId: number, scheme: string | null) => (scheme === null ? account.cardValue(cardId) : account.cardPoints(cardId, scheme));
  return x.balances.flatMap((b) => [
    { account: acct(x.fromCardId, b.scheme), asset: b.asset, amount: -b.amount },
    { account: acct(x.toCardId, b.scheme), asset: b.asset, amount: b.amount },
  ]);
}

/** Cash-out of a named card's balance b, paid by issuer I: card value −b; issuer I +b. */
export function cashOut(x: { cardId: number; issuerId: number; currency: string; amount: number }): Posting[] {
  return [
    { account: account.cardValue(x.cardId), asset: x.currency, amount: -x.amount },
    { account: account.issuer(x.issuerId), asset: x.currency, amount: x.amount },
  ];
}
