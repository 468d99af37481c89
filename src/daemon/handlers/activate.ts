import type { Handler, TxnState, DecideContext, UndoKind } from './types.js';
import { creditEntry, decline, negation, withinMax } from './common.js';
import { REQUESTS } from '../message.js';

/**
 * `activate`: an issued card becomes active, optionally with a first value paid in cash at the
 * merchant (card +a; merchant −a; channel fee on a). An active card answers 12; above the program
 * maximum 61.
 */
export const activate: Handler = {
  type: 'activate',
  schema: REQUESTS.activate,
  needsPin: false,
  usesOriginal: false,
  decide(dc) {
    const card = dc.card!;
    if (card.status !== 'issued') return decline('12');
    const amount = dc.msg.amount ?? 0;
    if (amount > 0 && !withinMax(card, amount)) return decline('61');
    card.status = 'active';
    card.patch.status = 'active';
    card.patch.activatedAt = dc.now;
    if (amount === 0) return { code: '00' };
    const { entry, fee } = creditEntry('activate', dc, card, dc.merchant!.id, amount);
    return { code: '00', amountApproved: amount, entries: [entry], channelFee: fee };
  },
  /** Undoing an activation also returns the card to `issued`. */
  undo(kind: UndoKind, original: TxnState, dc: DecideContext) {
    const out = negation(kind, original, dc, dc.card);
    if (out.code === '00' && dc.card && dc.card.status === 'active') {
      dc.card.status = 'issued';
      dc.card.patch.status = 'issued';
    }
    return out;
  },
};
