/**
 * Refund of a `points_redeem` (design §5: "refund of a points_redeem returns the points"): the
 * redeem entry negated in proportion (ledger/flows `pointsRedeemRefund`: cumulative rounding, no
 * channel fee), so a full refund returns exactly the redeem and the points legs return exactly the
 * points. Never more than redeemed (13). The points go back to the lots the redeem consumed, newest
 * lot first. The entry has kind points_redeem (negative), so settlement nets it in the merchant's
 * redemptions. Decided purely over the points view, which holds the redeem's entry, legs and lot
 * moves (the prefetch reads them for every original a batch names).
 */
import { balancedEntry } from '../ledger/entry.js';
import { pointsRedeemRefund } from '../ledger/flows/index.js';
import type { LotEffect } from './lots.js';
import { decline, type PointsOutcome } from './outcome.js';
import { metaOf } from './request.js';
import type { PointsView } from './view.js';

export interface RedeemRefundRequest {
  /** The points_redeem transaction refunded, its card, the points it approved and the points already returned. */
  redeemTransactionId: number;
  cardId: number;
  redeemed: number;
  refundedBefore: number;
  /** Points returned by this refund. */
  returned: number;
  at: Date;
  transactionId?: number | null;
  channelId?: number | null;
}

/**
 * Decides the refund of `returned` points of a redeem over a view of the redeem's transaction
 * (pure): 13 above what remains refundable, 12 when the transaction has no redeem entry; approved
 * with the negating entry and the lot restores of the slice [before, after) of the points the
 * redeem took, taken newest lot first.
 */
export function decideRedeemRefund(view: PointsView, req: RedeemRefundRequest): PointsOutcome {
  if (!Number.isSafeInteger(req.returned) || req.returned <= 0 || req.returned > req.redeemed - req.refundedBefore) {
    return decline('13', `at most ${req.redeemed - req.refundedBefore} points remain refundable`);
  }
  const redeem = view.pointsEntries(req.redeemTransactionId).find((e) => e.kind === 'points_redeem');
  const scheme = redeem?.memo?.scheme === undefined ? null : view.schemeByCode(redeem.memo.scheme);
  if (!redeem || !scheme) return decline('12', 'the original redeemed no points');
  const before = req.refundedBefore;
  const after = before + req.returned;
  const postings = pointsRedeemRefund(view.legs(redeem.id), req.redeemed, before, after);
  const moves = view.lotMoves(req.cardId, redeem.id).filter((m) => m.points < 0).sort((a, b) => b.lotId - a.lotId);
  const effects: LotEffect[] = [];
  let offset = 0;
  for (const m of moves) {
    const from = Math.max(before, offset);
    const to = Math.min(after, offset - m.points);
    if (to > from) effects.push({ type: 'lot_restore', entry: 0, cardId: req.cardId, lotId: m.lotId, points: to - from });
    offset -= m.points;
  }
  return {
    approved: true, code: '00', message: 'approved', amountRequested: req.returned, amountApproved: req.returned,
    entries: [balancedEntry('points_redeem', postings, { ...metaOf(req), merchantId: redeem.merchant_id, memo: { scheme: scheme.code, points: -req.returned, refund_of: req.redeemTransactionId } })],
    effects, detail: { scheme: scheme.code, points_returned: req.returned },
  };
}
