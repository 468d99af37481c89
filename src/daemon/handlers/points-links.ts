/**
 * A `points_earn` naming a stored-value `purchase` (or `capture`) as its `original_request_id` is
 * linked to it (design §5): a later void, reversal or refund of that purchase claws the points back
 * in proportion, capped at what is still on the earn's card (the shortfall is reported in the
 * response's `detail` and in points_clawbacks, never a negative balance).
 */
import { roundDiv } from '../../ledger/money.js';
import { decideClawback } from '../../points/clawback.js';
import type { PointsApproval } from '../../points/outcome.js';
import { pointsState, withPoints } from './points-outcome.js';
import type { DecideContext, Outcome, TxnState, UndoKind } from './types.js';

/** An approved points_earn linked to a purchase. */
export interface LinkedEarn {
  transactionId: number;
  cardId: number;
  /** The earn's purchase amount (minor units), at most the purchase's. */
  amount: number;
}

const LINKS = 'points:linked_earns';

/** Linked earns by purchase transaction id, as the prefetch read them (and added to by the batch's own earns). */
export function linkedEarns(extra: Map<string, unknown>): Map<number, LinkedEarn[]> {
  let links = extra.get(LINKS) as Map<number, LinkedEarn[]> | undefined;
  if (!links) extra.set(LINKS, (links = new Map()));
  return links;
}

/**
 * Adds to `base` (the approved void, reversal or refund of `purchase`) the claw-back of every earn
 * linked to it: everything not yet returned for a void or reversal; for a refund taking the
 * purchase's refunded amount from `before` to `after`, the earn's share with cumulative rounding,
 * r(after × e / a) − r(before × e / a) (e the earn's purchase amount, a the purchase's), so refunds
 * adding up to the purchase return the whole earn. Unchanged when nothing is linked or `base` declines.
 */
export function clawbackLinked(
  returned: UndoKind | { before: number; after: number }, purchase: TxnState, dc: DecideContext, base: Outcome,
): Outcome {
  const earns = linkedEarns(dc.extra).get(purchase.id);
  if (!earns?.length || base.code !== '00') return base;
  {
    const parts: PointsApproval[] = [];
    let intended = 0, clawed = 0, shortfall = 0;
    for (const e of earns) {
      let share: number | 'all' = 'all';
      if (typeof returned !== 'string') {
        const a = purchase.amountApproved;
        share = roundDiv(BigInt(returned.after) * BigInt(e.amount), a) - roundDiv(BigInt(returned.before) * BigInt(e.amount), a);
        if (share === 0) continue;
      }
      const c = decideClawback(pointsState(dc), {
        earnTransactionId: e.transactionId, returned: share, at: dc.now, transactionId: dc.transactionId, channelId: dc.channel.id,
        businessDate: typeof returned === 'string' ? purchase.businessDate : null,
      });
      const d = c.detail as { points_intended: number; points_clawed_back: number; shortfall: number };
      intended += d.points_intended;
      clawed += d.points_clawed_back;
      shortfall += d.shortfall;
      parts.push(c);
    }
    return withPoints(base, parts, { points_intended: intended, points_clawed_back: clawed, shortfall });
  }
}
