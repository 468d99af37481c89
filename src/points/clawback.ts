/**
 * Claw-back of earned points (design §4 and the `original_request_id` row of §5): a void, reversal
 * or refund of the purchase a `points_earn` rewards, or of the `points_earn` itself, takes the points
 * back in proportion, capped at what is still on the card; the shortfall is reported, never a
 * negative balance.
 */
import { balancedEntry, type Entry, type Posting } from '../ledger/entry.js';
import type { Queryable } from '../ledger/post.js';
import { loadTransactionsView, type PointsEntry, type PointsView } from './view.js';
import { cardIdOf } from '../ledger/accounts.js';
import { roundDiv } from '../ledger/money.js';
import { InvariantError } from '../errors.js';
import { clawbackLegs, type EntryMeta } from './entries.js';
import { lockPointsAccounts, type LotEffect } from './lots.js';
import type { ClawbackRecordEffect, PointsApproval } from './outcome.js';
import { metaOf } from './request.js';

/** An earn entry as a claw-back reads it. */
export type EarnEntryRow = Pick<PointsEntry, 'id' | 'merchant_id' | 'memo'>;

export interface ClawbackRequest {
  /** Transaction id of the `points_earn` whose points are taken back. */
  earnTransactionId: number;
  /** Purchase amount returned (a refund), or 'all' (void or reversal of the purchase or of the earn: everything not yet returned). */
  returned: number | 'all';
  at: Date;
  transactionId?: number | null;
  channelId?: number | null;
  businessDate?: string | null;
}

/**
 * Prepares the claw-back of the points earned by transaction `earnTransactionId`. Always approved
 * (a claw-back never declines): `detail` reports points_intended, points_clawed_back and shortfall.
 * No entry when that transaction earned nothing or nothing can be taken. Locks the card's account
 * of the scheme; the earn's cumulative claw-back state is read under that lock.
 */
export async function prepareClawback(db: Queryable, req: ClawbackRequest): Promise<PointsApproval> {
  const first = await loadTransactionsView(db, req.at, [req.earnTransactionId], []);
  const earn = earnEntryOf(first, req.earnTransactionId);
  if (!earn) return decideClawback(first, req);
  const leg = earnCardLeg(first, earn);
  await lockPointsAccounts(db, cardIdOf(leg.account)!, [leg.asset]);
  return decideClawback(await loadTransactionsView(db, req.at, [req.earnTransactionId], [cardIdOf(leg.account)!]), req);
}

/** The first points_earn entry of a transaction, or null. */
function earnEntryOf(view: PointsView, transactionId: number): EarnEntryRow | null {
  return view.pointsEntries(transactionId).find((e) => e.kind === 'points_earn') ?? null;
}

/** The card leg of an earn entry (its points credit). */
function earnCardLeg(view: PointsView, earn: EarnEntryRow): Posting {
  const cardLeg = view.legs(earn.id).find((l) => cardIdOf(l.account) !== null);
  const purchase = earn.memo?.purchase_amount;
  if (!cardLeg || !purchase || cardLeg.amount <= 0) throw new InvariantError('points_earn_shape', `entry ${earn.id} is not a points_earn with a card leg and a purchase amount`);
  return cardLeg;
}

/** The decision of prepareClawback over a view of the earn's transaction and its card's balances, locked (pure). */
export function decideClawback(view: PointsView, req: ClawbackRequest): PointsApproval {
  const earn = earnEntryOf(view, req.earnTransactionId);
  const meta = metaOf(req);
  if (!earn) {
    const detail = { points_intended: 0, points_clawed_back: 0, shortfall: 0 };
    return { approved: true, code: '00', message: 'nothing earned to claw back', amountRequested: 0, amountApproved: 0, entries: [], effects: [], detail };
  }
  const c = clawbackOf(view, earn, req.returned, meta, 0);
  return {
    approved: true, code: '00', message: c.shortfall > 0 ? `claw-back short by ${c.shortfall} points` : 'approved',
    amountRequested: c.intended, amountApproved: c.taken, entries: c.entry ? [c.entry] : [], effects: c.effects, detail: c.detail,
  };
}

/** A prepared claw-back: its entry (if any), lot and record effects (entry index `entryIndex`), and the figures. */
export interface Clawback { entry: Entry | null; effects: (LotEffect | ClawbackRecordEffect)[]; intended: number; taken: number; shortfall: number; detail: Record<string, unknown> }

/**
 * The claw-back of `earn` for a return of `returned` (or 'all'), its entry to be posted at index
 * `entryIndex` of the caller's entries. Cumulative: with R_b/R_a the purchase amount returned
 * before/after (capped at the purchase a) and p the points earned, the return intends to take
 * r(p × R_a / a) − r(p × R_b / a) points; it takes min(that, the card's points of the scheme,
 * expired lots included); each money leg of the earn is negated as r(L × T_a / p) − r(L × T_b / p)
 * with T the points actually taken so far, so claw-backs adding up to the whole earn negate it
 * exactly. Lots: the earn's own lot first, then oldest-first.
 */
export function clawbackOf(view: PointsView, earn: EarnEntryRow, returned: number | 'all', meta: EntryMeta, entryIndex: number): Clawback {
  const legs = view.legs(earn.id);
  const cardLeg = earnCardLeg(view, earn);
  const purchase = earn.memo!.purchase_amount!;
  const cardId = cardIdOf(cardLeg.account)!;
  const earned = cardLeg.amount;
  const balance = view.balance(cardId, cardLeg.asset);
  const state = view.clawbackState(cardId, earn.id);
  const schemeId = view.schemeByCode(cardLeg.asset.slice('PTS:'.length))!.id;
  const before = Math.min(purchase, state.returned);
  const after = returned === 'all' ? purchase : Math.min(purchase, before + returned);
  const intended = roundDiv(BigInt(earned) * BigInt(after), purchase) - roundDiv(BigInt(earned) * BigInt(before), purchase);
  const taken = Math.min(intended, balance);
  const shortfall = intended - taken;
  const entry = taken === 0 ? null : balancedEntry('points_clawback', clawbackLegs(legs, earned, state.clawed, state.clawed + taken), {
    ...meta, merchantId: earn.merchant_id, reversesEntryId: earn.id,
    memo: { earn_entry_id: earn.id, scheme: earn.memo?.scheme ?? null, returned: after - before, returned_after: after, points_intended: intended, points: taken, shortfall },
  });
  const index = entry ? entryIndex : null;
  const effects: Clawback['effects'] = [];
  if (taken > 0) effects.push({ type: 'lot_debit', entry: entryIndex, cardId, schemeId, points: taken, spendableAt: null, preferSourceEntryIds: [earn.id] });
  if (after > before) {
    effects.push({
      type: 'clawback_record', entry: index, cardId, earnEntryId: earn.id, transactionId: meta.transactionId ?? null,
      returnedAmount: after - before, pointsIntended: intended, pointsClawed: taken,
    });
  }
  return { entry, effects, intended, taken, shortfall, detail: { scheme: earn.memo?.scheme ?? null, points_intended: intended, points_clawed_back: taken, shortfall } };
}
