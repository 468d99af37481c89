import type { DecideContext, Handler, Outcome, TxnState, UndoKind } from './types.js';
import { available, decline, spendEntry, withinMax, channelFee, feeLegs, negation } from './common.js';
import { clawbackLinked } from './points-links.js';
import { balancedEntry } from '../../ledger/entry.js';
import { account } from '../../ledger/accounts.js';
import { roundDiv } from '../../ledger/money.js';

/**
 * The amount a debit of `requested` may take from the card's available value: all of it, or with
 * `partial` whatever is available (code 10); null when declined 51.
 */
export function approvable(dc: DecideContext, requested: number): { amount: number; code: '00' | '10' } | null {
  const avail = available(dc.card!, dc.card!.program.currency);
  if (requested <= avail) return { amount: requested, code: '00' };
  if (dc.msg.partial && avail > 0) return { amount: avail, code: '10' };
  return null;
}

/**
 * Refund of x against a purchase or capture (design §4): card +x; merchant −(x−fx);
 * revenue:merchant_commission −fx with cumulative rounding fx = r(f·after/a) − r(f·before/a), so a
 * full refund returns exactly f; plus the channel fee on x. Above what remains refundable 13.
 */
export function refundSpend(amount: number, original: TxnState, dc: DecideContext): Outcome {
  const card = dc.card!;
  const a = original.amountApproved;
  if (amount > a - original.refundedAmount) return decline('13', { originalId: original.id });
  if (!withinMax(card, amount)) return decline('61', { originalId: original.id });
  const before = original.refundedAmount;
  const after = before + amount;
  const f = original.commission;
  const fx = roundDiv(BigInt(f) * BigInt(after), a) - roundDiv(BigInt(f) * BigInt(before), a);
  const cur = card.program.currency;
  const fee = channelFee(dc.channel, amount);
  const entry = balancedEntry('refund', [
    { account: account.cardValue(card.id), asset: cur, amount },
    { account: account.merchant(original.merchantId!), asset: cur, amount: -(amount - fx) },
    { account: account.revenue('merchant_commission'), asset: cur, amount: -fx },
    ...feeLegs(dc.channel, fee, cur),
  ], { occurredAt: dc.now, merchantId: original.merchantId, channelId: dc.channel.id });
  original.refundedAmount = after;
  original.dirty = true;
  return { code: '00', amountApproved: amount, entries: [entry], originalId: original.id, commission: fx, channelFee: fee };
}

/**
 * Undo and refund of a purchase or capture: the stored-value entry as usual, plus the claw-back of
 * the points earned on it by a linked points_earn (design §5 `original_request_id`), when there is one.
 */
export const spendLinks = {
  undo(kind: UndoKind, original: TxnState, dc: DecideContext): Outcome {
    return clawbackLinked(kind, original, dc, negation(kind, original, dc, dc.card));
  },
  refund(amount: number, original: TxnState, dc: DecideContext): Outcome {
    const before = original.refundedAmount;
    const out = refundSpend(amount, original, dc);
    return clawbackLinked({ before, after: original.refundedAmount }, original, dc, out);
  },
};

/** `purchase`: a debit at the merchant with commission and channel fee; `partial` approves up to the available value (10). */
export const purchase: Handler = {
  type: 'purchase',
  fields: { card: 'required', amount: 'required', merchant: 'required', original: 'unused', partial: true, pin: true },
  needsPin: true,
  needs: { card: 'message', original: false },
  entryKind: 'purchase',
  decide(dc) {
    const ok = approvable(dc, dc.msg.amount!);
    if (!ok) return decline('51');
    const { entry, commission, fee } = spendEntry(purchase.entryKind!, dc, dc.card!, dc.merchant!.id, dc.merchant!.commissionBps, ok.amount);
    return { code: ok.code, amountApproved: ok.amount, entries: [entry], commission, channelFee: fee };
  },
  ...spendLinks,
};
