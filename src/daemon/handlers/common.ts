import { balancedEntry, type Entry, type EntryKind, type Posting } from '../../ledger/entry.js';
import { channelFeeLegs, channelFeeOf, isChannelFeeLeg, posLoad, spend, undo } from '../../ledger/flows/index.js';
import type { ChannelInfo } from '../registry-cache.js';
import type { ResponseCode } from '../codes.js';
import type { CardState, DecideContext, Outcome, TxnState } from './types.js';

/** Channel fee c = fixed + r(a × bps / 10000) on an approved financial transaction of stored-value amount a (design §4). */
export function channelFee(channel: ChannelInfo, amount: number): number {
  return channelFeeOf({ fixed: channel.feeFixed, bps: channel.feeBps }, amount);
}

/** The two legs of a channel fee: channel +c, revenue:channel_fees −c. */
export function feeLegs(channel: ChannelInfo, fee: number, currency: string): Posting[] {
  return channelFeeLegs({ channelId: channel.id, currency, fee });
}

/** Whether a posting is one of the channel-fee legs (kept by a void: the channel did the work). */
export function isFeeLeg(p: Posting): boolean {
  return isChannelFeeLeg(p);
}

export function decline(code: ResponseCode, extra: Partial<Outcome> = {}): Outcome {
  return { code, ...extra };
}

/** Available value of a card in `asset`: balance − open holds. */
export function available(card: CardState, asset: string): number {
  const a = card.accounts.get(asset);
  return a ? a.balance - a.held : 0;
}

export function balanceOf(card: CardState, asset: string): number {
  return card.accounts.get(asset)?.balance ?? 0;
}

/** Whether crediting `amount` of the program currency keeps the card within its program maximum. */
export function withinMax(card: CardState, amount: number): boolean {
  return balanceOf(card, card.program.currency) + amount <= card.program.maxBalance;
}

/**
 * Purchase/capture posting (design §4): card −a; merchant +(a−f); revenue:merchant_commission +f
 * with f = r(a × commission_bps / 10000); plus the channel fee legs on a.
 */
export function spendEntry(kind: EntryKind, dc: DecideContext, card: CardState, merchantId: number, commissionBps: number, amount: number): { entry: Entry; commission: number; fee: number } {
  const cur = card.program.currency;
  const { legs, commission } = spend({ cardId: card.id, merchantId, currency: cur, amount, commissionBps });
  const fee = channelFee(dc.channel, amount);
  const entry = balancedEntry(kind, [...legs, ...feeLegs(dc.channel, fee, cur)], { occurredAt: dc.now, merchantId, channelId: dc.channel.id });
  return { entry, commission, fee };
}

/** Load / activation with value, cash taken by the merchant: card +a; merchant −a; channel fee on a. */
export function creditEntry(kind: EntryKind, dc: DecideContext, card: CardState, merchantId: number, amount: number): { entry: Entry; fee: number } {
  const cur = card.program.currency;
  const fee = channelFee(dc.channel, amount);
  const entry = balancedEntry(kind, [
    ...posLoad({ cardId: card.id, merchantId, currency: cur, amount }),
    ...feeLegs(dc.channel, fee, cur),
  ], { occurredAt: dc.now, merchantId, channelId: dc.channel.id });
  return { entry, fee };
}

/**
 * Undoing an original by negating its entry (design §4): a void keeps the channel-fee legs (the
 * channel did the work), a reversal negates them too. Refused with 51 when a debit it makes is no
 * longer covered by the card's available value (e.g. a loaded value already spent), 61 when a
 * credit would take the card above its program maximum. Posted into the original's business date.
 * `reverses` is the kind its legs are settled as (default the original's: a reversal of a void
 * settles as the type the void undid, so the three entries net to that type's).
 */
export function negation(kind: 'void' | 'reversal', original: TxnState, dc: DecideContext, card: CardState | null, reverses = original.type): Outcome {
  if (original.entryId === null) return { code: '00', amountApproved: original.amountApproved, originalId: original.id };
  const legs = undo(kind, dc.postings(original.entryId));
  for (const leg of legs) {
    if (!card || !leg.account.startsWith(`card:${card.id}:`)) continue;
    if (leg.amount < 0 && available(card, leg.asset) + leg.amount < 0) return decline('51', { originalId: original.id });
    if (leg.amount > 0 && leg.asset === card.program.currency && !withinMax(card, leg.amount)) return decline('61', { originalId: original.id });
  }
  const entry = balancedEntry(kind, legs, {
    occurredAt: dc.now, businessDate: original.businessDate, merchantId: original.merchantId, channelId: original.channelId, reversesEntryId: original.entryId,
    // a stored-value transaction's entry is of its type's kind (spendEntry, creditEntry, refund)
    memo: { reverses },
  });
  return { code: '00', amountApproved: original.amountApproved, originalId: original.id, entries: [entry], asset: original.asset ?? undefined };
}
