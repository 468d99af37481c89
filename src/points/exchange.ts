/** `points_exchange`: points of one scheme into another at the published rate in force (design §3, §4). */
import type { Context } from '../context.js';
import type { Queryable } from '../ledger/post.js';
import type { Calendar } from '../settlement/calendar.js';
import { exchangedPoints, exchangeEntry } from './entries.js';
import type { RateRow, SchemeRow } from './lookup.js';
import { lockPointsAccounts, lotExpiry } from './lots.js';
import { decline, type PointsDecline, type PointsOutcome } from './outcome.js';
import { acceptedScheme, invalidAmount, isDecline, metaOf, type PointsRequest } from './request.js';
import { loadPointsView, type PointsView } from './view.js';

export interface ExchangeRequest extends PointsRequest {
  /** Points of the source scheme to exchange (p1). */
  points: number;
  /** Source scheme code; default the card program's scheme. */
  scheme?: string | null;
  /** Target scheme code. */
  toScheme: string;
}

/**
 * Prepares a `points_exchange` S1→S2: the rate is the version in force at `req.at` (the latest
 * effective_at <= at: a rate published later for an earlier time is used, one effective after the
 * request is not); p2 = floor(p1 × rate), never rounded in the cardholder's favour. Locks both
 * points accounts of the card in asset order. Declines 12 (unknown target scheme, same scheme,
 * schemes of different currencies, no rate in force), 57 (card without points, either scheme not
 * accepted at the merchant), 13 (p1 not > 0, or too few to make one point of S2), 51 (p1 above
 * the spendable S1 points). Finishing consumes S1 lots oldest-first and credits one S2 lot.
 */
export async function prepareExchange(ctx: Context, db: Queryable, req: ExchangeRequest): Promise<PointsOutcome> {
  const config = await loadPointsView(db, req);
  const schemes = exchangeSchemes(config, req);
  if (isDecline(schemes)) return schemes;
  await lockPointsAccounts(db, req.cardId, [schemes.s1.asset, schemes.s2.asset], { create: true });
  return decideExchange(await loadPointsView(db, req), ctx.calendar, req);
}

/** The checks of an exchange before the points are counted: both schemes, the rate in force and p2. */
function exchangeSchemes(view: PointsView, req: ExchangeRequest): { s1: SchemeRow; s2: SchemeRow; rate: RateRow; p2: number } | PointsDecline {
  const bad = invalidAmount(req.points, 'amount');
  if (bad) return bad;
  const s1 = acceptedScheme(view, req, req.scheme);
  if (isDecline(s1)) return s1;
  const s2 = view.schemeByCode(req.toScheme);
  if (!s2) return decline('12', `unknown to_scheme ${JSON.stringify(req.toScheme)}`);
  if (s2.id === s1.id) return decline('12', 'to_scheme is the source scheme');
  if (s2.currency !== s1.currency) return decline('12', `schemes ${s1.code} and ${s2.code} are priced in different currencies`);
  if (!view.merchantAcceptsScheme(req.merchantId, s2.id)) return decline('57', `the merchant does not accept scheme ${s2.code}`);
  const rate = view.rateInForce(s1.id, s2.id);
  if (!rate) return decline('12', `no exchange rate from ${s1.code} to ${s2.code} in force`);
  const p2 = exchangedPoints(req.points, rate.rateMicro);
  if (p2 === 0) return decline('13', `${req.points} ${s1.code} points make no ${s2.code} point at this rate`);
  return { s1, s2, rate, p2 };
}

/** The decision of prepareExchange over a points view read under the card's account locks, with rates in force at `req.at` (pure). */
export function decideExchange(view: PointsView, calendar: Calendar, req: ExchangeRequest): PointsOutcome {
  const schemes = exchangeSchemes(view, req);
  if (isDecline(schemes)) return schemes;
  const { s1, s2, rate, p2 } = schemes;
  const spendable = view.spendable(req.cardId, s1.id, req.at);
  if (spendable < req.points) return decline('51', `insufficient points: ${spendable} spendable`);
  const memo = { from: s1.code, to: s2.code, rate_micro: rate.rateMicro, rate_effective_at: rate.effectiveAt.toISOString(), points_in: req.points, points_out: p2 };
  return {
    approved: true, code: '00', message: 'approved', amountRequested: req.points, amountApproved: req.points,
    entries: [exchangeEntry(s1, s2, req.cardId, req.points, p2, req.merchantId, metaOf(req), memo)],
    effects: [
      { type: 'lot_debit', entry: 0, cardId: req.cardId, schemeId: s1.id, points: req.points, spendableAt: req.at, preferSourceEntryIds: [] },
      { type: 'lot_credit', entry: 0, cardId: req.cardId, schemeId: s2.id, points: p2, expiresAt: lotExpiry(req.at, s2.validityMonths, calendar) },
    ],
    detail: { scheme: s1.code, to_scheme: s2.code, points: req.points, to_points: p2, rate_micro: rate.rateMicro, rate_effective_at: rate.effectiveAt.toISOString() },
  };
}
