import type { DecideContext, Handler, TxnState, UndoKind } from './types.js';
import { decline, negation } from './common.js';
import { isOutcome, originalFor, undone } from './original.js';

/**
 * `refund` of part or all of an earlier purchase or capture, on any later date; the original's type
 * decides how (its handler's `refund`). Not refundable or undone 12; above what remains 13.
 */
export const refund: Handler = {
  type: 'refund',
  fields: { card: 'unused', amount: 'required', merchant: 'optional', original: 'required' },
  needsPin: false,
  usesOriginal: true,
  decide(dc) {
    const o = originalFor(dc, refund);
    if (isOutcome(o)) return o;
    const handler = dc.handlerOf(o.type!);
    if (!handler?.refund || !o.approved || undone(o)) return decline('12', { originalId: o.id });
    return handler.refund(dc.msg.amount!, o, dc);
  },
  /** Undoing a refund negates it and gives the amount back to what the purchase may still refund. */
  undo(kind: UndoKind, original: TxnState, dc: DecideContext) {
    const out = negation(kind, original, dc, dc.card);
    const purchase = original.originalId === null ? undefined : dc.txn(original.originalId);
    if (out.code === '00' && purchase) {
      purchase.refundedAmount -= original.amountApproved;
      purchase.dirty = true;
    }
    return out;
  },
};
