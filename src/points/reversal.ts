/**
 * Void and reversal of points transactions: the original's points entries negated (a void keeps the
 * channel fee legs, a reversal negates them too, design §4), their lots put back exactly — points a
 * debit consumed are restored to the very lots they came from, points a credit created are taken
 * back from its own lot first — a lottery draw marked reversed once with its prize restocked, and
 * the points of an earn clawed back (capped, never declined).
 */
import { balancedEntry, negatedLegs, type Entry, type Posting } from '../ledger/entry.js';
import type { Queryable } from '../ledger/post.js';
import { cardIdOf } from '../ledger/accounts.js';
import { clawbackOf } from './clawback.js';
import { isChannelFeeLeg } from './entries.js';
import { lockPointsAccounts } from './lots.js';
import { loadTransactionsView, type PointsEntry, type PointsView } from './view.js';
import { decline, type PointsEffect, type PointsOutcome } from './outcome.js';
import { metaOf } from './request.js';

/** Entry kinds the points domain posts (and so reverses). */
export const POINTS_ENTRY_KINDS = ['points_earn', 'points_redeem', 'points_load', 'points_exchange', 'points_clawback', 'lottery', 'lottery_prize'] as const;

export interface PointsReversalRequest {
  /** Transaction id the original's entries (and draw, claw-backs) carry. */
  originalTransactionId: number;
  /** 'void' keeps the original's channel fee legs; 'reversal' negates them too. Also the kind of the negating entries. */
  mode: 'void' | 'reversal';
  at: Date;
  transactionId?: number | null;
  channelId?: number | null;
  /** The original's business date when the reversal joins it (the caller locks it with lock_business_date_if_open). */
  businessDate?: string | null;
}

/** What an undo entry's memo says of its original: its kind and, for settlement, its scheme (Entry.memo). */
function undoMemo(o: PointsEntry): Record<string, unknown> {
  return o.memo?.scheme === undefined ? { reverses: o.kind } : { reverses: o.kind, scheme: o.memo.scheme };
}

/**
 * Prepares the void or reversal of every points entry of transaction `originalTransactionId`
 * (kinds POINTS_ENTRY_KINDS; the caller reverses its own non-points entries). Locks the card's
 * points accounts in ascending (card, asset) order and the draw / claw-back rows. Answers:
 * approved with the negating entries; approved with `alreadyReversed` and nothing to post when a
 * void/reversal of it exists or its draw is already reversed; approved with no entries when the
 * transaction has no points entries; 51 when points it credited were spent meanwhile (nothing moves;
 * a points_earn is clawed back capped instead, never 51).
 */
export async function preparePointsReversal(db: Queryable, req: PointsReversalRequest): Promise<PointsOutcome> {
  const first = await loadTransactionsView(db, req.at, [req.originalTransactionId], []);
  const cards = await lockCardAccounts(db, first.pointsEntries(req.originalTransactionId).flatMap((o) => first.legs(o.id)));
  return decidePointsReversal(await loadTransactionsView(db, req.at, [req.originalTransactionId], cards), req);
}

/** The decision of preparePointsReversal over a view of the original's points, its card's balances locked (pure). */
export function decidePointsReversal(view: PointsView, req: PointsReversalRequest): PointsOutcome {
  const meta = metaOf(req);
  const originals = view.pointsEntries(req.originalTransactionId);
  const ids = originals.map((o) => o.id);
  const legs = originals.flatMap((o) => view.legs(o.id).map((l) => ({ ...l, entry_id: o.id })));
  const balances = new Map<string, number>();
  for (const l of legs) {
    const card = cardIdOf(l.account);
    if (card !== null && l.asset.startsWith('PTS:')) balances.set(`${card}|${l.asset}`, view.balance(card, l.asset));
  }
  const draws = view.draws(req.originalTransactionId);
  const clawbacks = view.clawbacks(req.originalTransactionId);
  const nothing = { approved: true as const, code: '00' as const, amountRequested: 0, amountApproved: 0, entries: [], effects: [] };
  if (originals.length === 0 && draws.length === 0 && clawbacks.length === 0) return { ...nothing, message: 'no points to reverse', detail: {} };
  if (view.undone(ids) || (draws.length > 0 && draws.every((d) => d.reversed))) {
    return { ...nothing, message: 'already reversed', detail: {}, alreadyReversed: true };
  }

  const entries: Entry[] = [];
  const effects: PointsEffect[] = [];
  const negationOf = new Map<number, number>();
  let clawedBack = 0;
  let shortfall = 0;
  for (const o of originals) {
    const oLegs = legs.filter((l) => l.entry_id === o.id).map(({ account, asset, amount }) => ({ account, asset, amount }));
    const fees = oLegs.filter(isChannelFeeLeg);
    if (o.kind === 'points_earn') {
      const c = clawbackOf(view, o, 'all', meta, entries.length);
      if (c.entry) entries.push(c.entry);
      effects.push(...c.effects);
      clawedBack += c.taken;
      shortfall += c.shortfall;
      if (req.mode === 'reversal' && fees.length > 0) entries.push(balancedEntry('reversal', negatedLegs(fees), { ...meta, merchantId: o.merchant_id, reversesEntryId: o.id, memo: undoMemo(o) }));
      continue;
    }
    const kept = req.mode === 'void' ? oLegs.filter((l) => !isChannelFeeLeg(l)) : oLegs;
    const index = entries.length;
    entries.push(balancedEntry(req.mode, negatedLegs(kept), {
      ...meta, merchantId: o.merchant_id, channelId: meta.channelId ?? o.channel_id, reversesEntryId: o.id, memo: undoMemo(o),
    }));
    negationOf.set(o.id, index);
    for (const cardId of new Set(oLegs.map((l) => cardIdOf(l.account)).filter((c): c is number => c !== null))) {
      const moves = view.lotMoves(cardId, o.id);
      for (const m of moves) if (m.points < 0) effects.push({ type: 'lot_restore', entry: index, cardId, lotId: m.lotId, points: -m.points });
      const credited = new Map<number, number>();
      for (const m of moves) if (m.points > 0) credited.set(m.schemeId, (credited.get(m.schemeId) ?? 0) + m.points);
      for (const [schemeId, points] of credited) {
        effects.push({ type: 'lot_debit', entry: index, cardId, schemeId, points, spendableAt: null, preferSourceEntryIds: [o.id] });
      }
    }
  }

  // Points a credit brought must still be on the card: the card's balances after the negations.
  for (const e of entries) {
    for (const p of e.postings) {
      if (cardIdOf(p.account) === null) continue;
      const key = `${cardIdOf(p.account)}|${p.asset}`;
      balances.set(key, (balances.get(key) ?? 0) + p.amount);
    }
  }
  for (const [key, left] of balances) if (left < 0) return decline('51', `points already spent: card account ${key} would go to ${left}`);

  for (const d of draws) {
    if (d.reversed) continue;
    const index = d.entry_id !== null ? negationOf.get(d.entry_id) : d.prize_entry_id !== null ? negationOf.get(d.prize_entry_id) : undefined;
    effects.push({ type: 'draw_reversed', entry: index ?? null, cardId: d.card_id, drawId: d.id, prizeId: d.prize_id });
  }
  for (const c of clawbacks) effects.push({ type: 'clawback_reversed', cardId: c.card_id, clawbackId: c.id });
  return {
    approved: true, code: '00', message: 'approved', amountRequested: 0, amountApproved: 0, entries, effects,
    detail: { reversed_entries: ids, draws: draws.map((d) => d.id), points_clawed_back: clawedBack, shortfall },
  };
}

/** Locks every card points account the legs touch, ascending by (card, asset); returns the cards. */
async function lockCardAccounts(db: Queryable, legs: readonly Posting[]): Promise<number[]> {
  const byCard = new Map<number, Set<string>>();
  for (const l of legs) {
    const card = cardIdOf(l.account);
    if (card !== null && l.asset.startsWith('PTS:')) byCard.set(card, (byCard.get(card) ?? new Set()).add(l.asset));
  }
  const cards = [...byCard.keys()].sort((a, b) => a - b);
  for (const card of cards) await lockPointsAccounts(db, card, [...byCard.get(card)!]);
  return cards;
}
