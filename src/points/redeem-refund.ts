/**
 * Refund of a `points_redeem` (design §5: "refund of a points_redeem returns the points"): the
 * redeem entry negated in proportion — each leg L of the redeem (its channel fee legs excepted: the
 * refund pays none, as a refund of a points_earn) gives back r(L × after / a) − r(L × before / a),
 * where a is the points redeemed and before/after what was returned before and after this refund —
 * so a full refund returns exactly the redeem and the points legs return exactly the points. Never
 * more than redeemed (13). The points go back to the lots the redeem consumed, newest lot first.
 * The entry has kind points_redeem (negative), so settlement nets it in the merchant's redemptions.
 */
import { balancedEntry, type Posting } from '../ledger/entry.js';
import type { Queryable } from '../ledger/post.js';
import { roundDiv } from '../ledger/money.js';
import { isChannelFeeLeg } from './entries.js';
import { lockPointsAccounts, lotMovesOf, type LotEffect } from './lots.js';
import { schemeByCode } from './lookup.js';
import { decline, type PointsOutcome } from './outcome.js';
import { metaOf } from './request.js';

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
 * Prepares the refund of `returned` points of a redeem: 13 above what remains, 12 when the
 * transaction has no redeem entry. Locks the card's points account of the scheme; finishing
 * (finishPoints) restores the lots.
 */
export async function prepareRedeemRefund(db: Queryable, req: RedeemRefundRequest): Promise<PointsOutcome> {
  if (!Number.isSafeInteger(req.returned) || req.returned <= 0 || req.returned > req.redeemed - req.refundedBefore) {
    return decline('13', `at most ${req.redeemed - req.refundedBefore} points remain refundable`);
  }
  const { rows } = await db.query<{ id: number; merchant_id: number | null; memo: { scheme?: string } | null }>(
    `select id, merchant_id, memo from entries where transaction_id = $1 and kind = 'points_redeem' order by id limit 1`, [req.redeemTransactionId]);
  const redeem = rows[0];
  const scheme = redeem?.memo?.scheme === undefined ? null : await schemeByCode(db, redeem.memo.scheme);
  if (!redeem || !scheme) return decline('12', 'the original redeemed no points');
  await lockPointsAccounts(db, req.cardId, [scheme.asset]);
  const { rows: legs } = await db.query<Posting>('select account, asset, amount from postings where entry_id = $1 order by account, asset', [redeem.id]);
  const before = req.refundedBefore;
  const after = before + req.returned;
  const part = (amount: number, upTo: number) => roundDiv(BigInt(amount) * BigInt(upTo), req.redeemed);
  const postings = legs.filter((p) => !isChannelFeeLeg(p))
    .map((p) => ({ account: p.account, asset: p.asset, amount: -(part(Number(p.amount), after) - part(Number(p.amount), before)) }))
    .filter((p) => p.amount !== 0);
  // The lots the redeem consumed, newest first; this refund restores the slice [before, after) of that sequence.
  const moves = (await lotMovesOf(db, req.cardId, redeem.id)).filter((m) => m.points < 0).sort((a, b) => b.lotId - a.lotId);
  const effects: LotEffect[] = [];
  let offset = 0;
  for (const m of moves) {
    const from = Math.max(before, offset);
    const to = Math.min(after, offset - Number(m.points));
    if (to > from) effects.push({ type: 'lot_restore', entry: 0, cardId: req.cardId, lotId: m.lotId, points: to - from });
    offset -= Number(m.points);
  }
  return {
    approved: true, code: '00', message: 'approved', amountRequested: req.returned, amountApproved: req.returned,
    entries: [balancedEntry('points_redeem', postings, { ...metaOf(req), merchantId: redeem.merchant_id, memo: { scheme: scheme.code, points: -req.returned, refund_of: req.redeemTransactionId } })],
    effects, detail: { scheme: scheme.code, points_returned: req.returned },
  };
}
