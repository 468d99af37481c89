/** What every points request carries, and the checks they share. */
import { InvariantError } from '../errors.js';
import type { EntryMeta } from './entries.js';
import type { SchemeRow } from './lookup.js';
import { decline, type PointsDecline } from './outcome.js';
import type { PointsView } from './view.js';

/**
 * A points request as the pipeline resolved it: the card and merchant ids (after its card,
 * terminal and channel checks), the request time from the context clock (rates in force, lot
 * validity and expiry are judged at it), and what its entries carry.
 */
export interface PointsRequest {
  cardId: number;
  merchantId: number;
  at: Date;
  transactionId?: number | null;
  channelId?: number | null;
  /** Post into this business date instead of the one the caller stamps (rarely needed). */
  businessDate?: string | null;
}

/** The entry fields of a request. */
export function metaOf(req: Omit<PointsRequest, 'cardId' | 'merchantId'>): EntryMeta {
  return { occurredAt: req.at, transactionId: req.transactionId ?? null, channelId: req.channelId ?? null, businessDate: req.businessDate ?? null };
}

/** 13 unless `n` is a positive safe integer (the pipeline's 400 check normally catches it first). */
export function invalidAmount(n: number, field: string): PointsDecline | null {
  return Number.isSafeInteger(n) && n > 0 ? null : decline('13', `${field} must be a whole number greater than zero`);
}

/**
 * The card's program must carry points (57 for a stored-value-only program); returns the program's
 * home scheme id (the default scheme of a request that names none).
 */
export function pointsCard(view: PointsView, cardId: number): { schemeId: number } | PointsDecline {
  const program = view.cardProgram(cardId);
  if (!program) throw new InvariantError('points_unknown_card', `card ${cardId} does not exist`);
  if (program.kind === 'stored_value' || program.schemeId === null) return decline('57', 'the card\'s program carries no points');
  return { schemeId: program.schemeId };
}

/**
 * The scheme a request names (or, when it names none, the card program's scheme), checked: 57
 * when the card carries no points or the merchant does not accept the scheme, 12 when the scheme
 * is unknown.
 */
export function acceptedScheme(view: PointsView, req: PointsRequest, code: string | null | undefined, field = 'scheme'): SchemeRow | PointsDecline {
  const card = pointsCard(view, req.cardId);
  if (isDecline(card)) return card;
  const scheme = code ? view.schemeByCode(code) : view.schemeById(card.schemeId);
  if (!scheme) return decline('12', `unknown ${field} ${JSON.stringify(code)}`);
  if (!view.merchantAcceptsScheme(req.merchantId, scheme.id)) return decline('57', `the merchant does not accept scheme ${scheme.code}`);
  return scheme;
}

/** Narrows a check result: true when it is a decline. */
export function isDecline<T extends object>(x: T | PointsDecline): x is PointsDecline {
  return 'approved' in x && x.approved === false;
}
