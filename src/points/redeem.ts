/** `points_redeem`: a cardholder pays with points at a merchant, which receives their redemption value. */
import type { Queryable } from '../ledger/post.js';
import { redeemEntry } from './entries.js';
import { lockPointsAccounts } from './lots.js';
import { decline, type PointsOutcome } from './outcome.js';
import { acceptedScheme, invalidAmount, isDecline, metaOf, type PointsRequest } from './request.js';
import { loadPointsView, type PointsView } from './view.js';

export interface RedeemRequest extends PointsRequest {
  points: number;
  /** Scheme code; default the card program's scheme. */
  scheme?: string | null;
  /** Approve up to the spendable points (10) instead of declining 51. */
  partial?: boolean;
}

/**
 * Prepares a `points_redeem`: locks the card's points account (FOR UPDATE), counts the points
 * spendable at the request time (lots not expired), and approves `points` (00), or with `partial`
 * whatever is spendable (10), or declines 51. Also 13, 12 (unknown scheme), 57 (scheme not
 * accepted at the merchant / card without points). Finishing consumes lots oldest-first.
 */
export async function prepareRedeem(db: Queryable, req: RedeemRequest): Promise<PointsOutcome> {
  const config = await loadPointsView(db, req);
  const scheme = acceptedScheme(config, req, req.scheme);
  if (isDecline(scheme)) return decideRedeem(config, req);
  await lockPointsAccounts(db, req.cardId, [scheme.asset]);
  return decideRedeem(await loadPointsView(db, req), req);
}

/** The decision of prepareRedeem over a points view read under the card's account lock (pure). */
export function decideRedeem(view: PointsView, req: RedeemRequest): PointsOutcome {
  const bad = invalidAmount(req.points, 'amount');
  if (bad) return bad;
  const scheme = acceptedScheme(view, req, req.scheme);
  if (isDecline(scheme)) return scheme;
  const spendable = view.spendable(req.cardId, scheme.id, req.at);
  let points = req.points;
  if (spendable < points) {
    if (!req.partial || spendable === 0) return decline('51', `insufficient points: ${spendable} spendable`);
    points = spendable;
  }
  const partial = points < req.points;
  return {
    approved: true, code: partial ? '10' : '00', message: partial ? 'partial approval' : 'approved',
    amountRequested: req.points, amountApproved: points,
    entries: [redeemEntry(scheme, req.cardId, req.merchantId, points, metaOf(req))],
    effects: [{ type: 'lot_debit', entry: 0, cardId: req.cardId, schemeId: scheme.id, points, spendableAt: req.at, preferSourceEntryIds: [] }],
    detail: { scheme: scheme.code, points },
  };
}
