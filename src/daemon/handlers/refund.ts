import type { DecideContext, Handler, Outcome, TxnState, UndoKind } from './types.js';
import { decline, negation } from './common.js';
import { isOutcome, originalFor, undone } from './original.js';
import { undoPoints } from './points-outcome.js';
import { linkedEarns } from './points-links.js';

/**
 * `refund` of part or all of an earlier purchase or capture, on any later date; the original's type
 * decides how (its handler's `refund`). Not refundable or undone 12; above what remains 13.
 */
export const refund: Handler = {
  type: 'refund',
  fields: { card: 'unused', amount: 'required', merchant: 'optional', original: 'required' },
  needsPin: false,
  needs: { card: 'original', original: true },
  entryKind: 'refund',
  decide(dc) {
    const o = originalFor(dc, refund);
    if (isOutcome(o)) return o;
    const handler = dc.handlerOf(o.type!);
    if (!handler?.refund || !o.approved || undone(o)) return decline('12', { originalId: o.id });
    return handler.refund(dc.msg.amount!, o, dc);
  },
  /**
   * Undoing a refund negates it and gives the amount back to what the purchase may still refund.
   * Points it clawed back (a refund of a points_earn, or of a purchase a points_earn is linked to)
   * go back to their lots (points-outcome.ts).
   */
  undo(kind: UndoKind, original: TxnState, dc: DecideContext) {
    const purchase = original.originalId === null ? undefined : dc.txn(original.originalId);
    let out: Outcome;
    if (purchase?.type === 'points_earn') out = undoPoints(kind, original, dc);
    else {
      const negated = negation(kind, original, dc, dc.card);
      out = purchase && negated.code === '00' && linkedEarns(dc.extra).get(purchase.id)?.length ? undoPoints(kind, original, dc, negated) : negated;
    }
    if (out.code === '00' && purchase) {
      purchase.refundedAmount -= original.amountApproved;
      purchase.dirty = true;
    }
    return out;
  },
};
