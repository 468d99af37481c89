/**
 * The residual-value rows of the money-flows table (design §4): dormancy fees, remote breakage and
 * its reversal on reactivation, escheat, and proportional breakage memos. Pure; every function's
 * legs sum to zero per asset.
 */
import { negatedLegs, type Posting } from '../entry.js';
import { account } from '../accounts.js';

/**
 * Dormancy fee: d = min(fee, available), never taking the card below zero or into value held by an
 * open hold: card value −d; revenue:dormancy_fees +d (or issuer I +d when the issuer owns the fee).
 */
export function dormancyFee(x: { cardId: number; currency: string; fee: number; available: number; issuerId?: number }): { legs: Posting[]; charged: number } {
  const d = Math.max(0, Math.min(x.fee, x.available));
  const to = x.issuerId === undefined ? account.revenue('dormancy_fees') : account.issuer(x.issuerId);
  return {
    charged: d,
    legs: [
      { account: account.cardValue(x.cardId), asset: x.currency, amount: -d },
      { account: to, asset: x.currency, amount: d },
    ],
  };
}

/** Where remote breakage moves a card's value: its issuer, or revenue:breakage when the operator is the issuer. */
export type BreakageTarget = 'issuer' | 'revenue:breakage';

/** Remote breakage of value b on a card of issuer I past its grace period: card value −b; issuer I +b (or revenue:breakage +b). */
export function remoteBreakage(x: { cardId: number; issuerId: number; currency: string; amount: number; target: BreakageTarget }): Posting[] {
  const to = x.target === 'revenue:breakage' ? account.revenue('breakage') : account.issuer(x.issuerId);
  return [
    { account: account.cardValue(x.cardId), asset: x.currency, amount: -x.amount },
    { account: to, asset: x.currency, amount: x.amount },
  ];
}

/** Unclaimed property (escheat): card value −b; escheat:I +b (a liability, never revenue). */
export function escheat(x: { cardId: number; issuerId: number; currency: string; amount: number }): Posting[] {
  return [
    { account: account.cardValue(x.cardId), asset: x.currency, amount: -x.amount },
    { account: account.escheat(x.issuerId), asset: x.currency, amount: x.amount },
  ];
}

/** Reactivation (or replacement, or a claim) after breakage or escheat: the derecognition's legs reversed. */
export function breakageReversal(derecognitionLegs: readonly Posting[]): Posting[] {
  return negatedLegs(derecognitionLegs);
}

/**
 * Proportional breakage (ASC 606), accounting only: memo:breakage_income:I +x,
 * memo:breakage_reserve:<program> −x. Settlement ignores memo accounts; no cash moves.
 */
export function breakageMemo(x: { issuerId: number; programId: number; currency: string; amount: number }): Posting[] {
  return [
    { account: account.memo('breakage_income', x.issuerId), asset: x.currency, amount: x.amount },
    { account: account.memo('breakage_reserve', x.programId), asset: x.currency, amount: -x.amount },
  ];
}
