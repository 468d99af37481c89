/** `points_earn` and `points_load`: points credited to a card, funded by the merchant (design §4). */
import type { Context } from '../context.js';
import type { Queryable } from '../ledger/post.js';
import type { Calendar } from '../settlement/calendar.js';
import { earnEntry, earnedPoints, pointsLoadEntry } from './entries.js';
import { lotExpiry } from './lots.js';
import { decline, type PointsOutcome } from './outcome.js';
import { acceptedScheme, invalidAmount, isDecline, metaOf, pointsCard, type PointsRequest } from './request.js';
import { loadPointsView, type PointsView } from './view.js';

export interface EarnRequest extends PointsRequest {
  /** Purchase amount in minor units; the merchant's rule turns it into points. */
  amount: number;
  /** The stored-value purchase this earn rewards (its `original_request_id`), recorded in the entry memo. */
  purchaseTransactionId?: number | null;
}

/**
 * Prepares a `points_earn`: p = min(cap, floor(amount × rate / 100)) points of the merchant's earn
 * scheme, funded by the merchant at the issue price; one lot expiring per the scheme's validity.
 * Declines 13 (amount not > 0), 57 (card program without points), 12 (merchant has no earn rule).
 * A purchase too small to earn a point is approved with no entry. Takes no locks before posting
 * (the posting's card_accounts upsert serializes with redemptions). The earn entry's memo keeps the
 * purchase amount so a claw-back can take the points back in proportion.
 */
export async function prepareEarn(ctx: Context, db: Queryable, req: EarnRequest): Promise<PointsOutcome> {
  return decideEarn(await loadPointsView(db, req), ctx.calendar, req);
}

/** The decision of prepareEarn over a points view (pure). */
export function decideEarn(view: PointsView, calendar: Calendar, req: EarnRequest): PointsOutcome {
  const bad = invalidAmount(req.amount, 'amount');
  if (bad) return bad;
  const card = pointsCard(view, req.cardId);
  if (isDecline(card)) return card;
  const rule = view.earnRule(req.merchantId);
  if (!rule) return decline('12', 'the merchant awards no points');
  const scheme = view.schemeById(rule.schemeId)!;
  const p = earnedPoints(req.amount, rule.rate, rule.cap);
  const detail = { scheme: scheme.code, points: p };
  if (p === 0) return { approved: true, code: '00', message: 'approved: no points earned', amountRequested: req.amount, amountApproved: req.amount, entries: [], effects: [], detail };
  const entry = earnEntry(scheme, req.cardId, req.merchantId, p, metaOf(req), {
    scheme: scheme.code, purchase_amount: req.amount, rate: rule.rate, cap: rule.cap, points: p, purchase_transaction_id: req.purchaseTransactionId ?? null,
  });
  return {
    approved: true, code: '00', message: 'approved', amountRequested: req.amount, amountApproved: req.amount, entries: [entry],
    effects: [{ type: 'lot_credit', entry: 0, cardId: req.cardId, schemeId: scheme.id, points: p, expiresAt: lotExpiry(req.at, scheme.validityMonths, calendar) }],
    detail,
  };
}

export interface PointsLoadRequest extends PointsRequest {
  /** Points sold to the cardholder. */
  points: number;
  /** Scheme code; default the card program's scheme. */
  scheme?: string | null;
}

/**
 * Prepares a `points_load`: `points` sold to the cardholder at the merchant (which took the money)
 * at the scheme's sale price; one lot. Declines 13, 57 (no points on the card's program, scheme
 * not accepted at the merchant), 12 (unknown scheme). Takes no locks before posting.
 */
export async function preparePointsLoad(ctx: Context, db: Queryable, req: PointsLoadRequest): Promise<PointsOutcome> {
  return decidePointsLoad(await loadPointsView(db, req), ctx.calendar, req);
}

/** The decision of preparePointsLoad over a points view (pure). */
export function decidePointsLoad(view: PointsView, calendar: Calendar, req: PointsLoadRequest): PointsOutcome {
  const bad = invalidAmount(req.points, 'amount');
  if (bad) return bad;
  const scheme = acceptedScheme(view, req, req.scheme);
  if (isDecline(scheme)) return scheme;
  return {
    approved: true, code: '00', message: 'approved', amountRequested: req.points, amountApproved: req.points,
    entries: [pointsLoadEntry(scheme, req.cardId, req.merchantId, req.points, metaOf(req))],
    effects: [{ type: 'lot_credit', entry: 0, cardId: req.cardId, schemeId: scheme.id, points: req.points, expiresAt: lotExpiry(req.at, scheme.validityMonths, calendar) }],
    detail: { scheme: scheme.code, points: req.points },
  };
}
