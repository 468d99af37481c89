import { postEntriesValues } from '../ledger/post.js';
import type { Hold } from '../ledger/holds.js';
import { cardIdOf } from '../ledger/accounts.js';
import { InvariantError } from '../errors.js';
import type { Entry } from '../ledger/entry.js';
import { CODES, isApproval, type ResponseCode } from './codes.js';
import { CARD_COLUMNS, ORIGINAL_COLUMNS, STATEMENT, TXN_COLUMNS, type CardChange, type OriginalChange, type TxnRow } from './batch-sql.js';
import { columnArrays } from './columns.js';
import { execute } from './fused.js';
import { effectStatement } from '../points/effects-sql.js';
import type { CardState, Outcome, TxnState } from './handlers/types.js';
import type { TxnResponse, WorkItem } from './work-item.js';

/** One decided message of a batch, ready to be written. */
export interface RowWrite {
  item: WorkItem;
  txnId: number;
  /** Its key held a marker (a reversal came first): the marker row becomes this message's row. */
  adoptsMarker: boolean;
  outcome: Outcome;
  card: CardState | null;
  cardIdForRow: number | null;
  /** The message's merchant; for a void, reversal, refund or capture naming none, its original's. */
  merchantIdForRow: number | null;
  /** Set by applyInMemory: the response, with the balance after this message. */
  response?: TxnResponse;
  /** Set by applyInMemory: the outcome closed a hold that was still open. */
  closesHold?: boolean;
}

/** Codes whose response must not reveal the balance (card or PIN problems, refused terminal). */
const NO_BALANCE = new Set<ResponseCode>(['14', '25', '41', '54', '55', '57', '58', '62', '75', '96']);

/** The response of design §5 for a decided message, with the card's balance after it. */
function responseOf(w: RowWrite): TxnResponse {
  const { outcome, card } = w;
  const approved = isApproval(outcome.code);
  let balance: TxnResponse['balance'] = null;
  if (card && outcome.showBalance !== false && !NO_BALANCE.has(outcome.code)) {
    const cur = card.accounts.get(card.program.currency) ?? { balance: 0, held: 0 };
    const points: Record<string, number> = {};
    for (const [asset, a] of card.accounts) if (asset.startsWith('PTS:')) points[asset.slice(4)] = a.balance;
    balance = { available: cur.balance - cur.held, ledger: cur.balance, currency: card.program.currency, points };
  }
  const response: TxnResponse = {
    request_id: w.item.msg.requestId,
    transaction_id: w.txnId,
    type: w.item.msg.type,
    approved,
    response_code: outcome.code,
    message: CODES[outcome.code],
    amount_requested: w.item.msg.amount,
    amount_approved: approved ? outcome.amountApproved ?? 0 : 0,
    balance,
  };
  if (approved && outcome.detail) response.detail = outcome.detail;
  return response;
}

/**
 * Applies one decided outcome to the batch's in-memory state — hold closed, card legs, hold placed —
 * and records its response (the balance after this message). The batch calls it right after each
 * decision, so the next decision in the same batch sees this one's effect (a second load must see
 * the first against the program maximum, a second capture the closed hold).
 */
export function applyInMemory(w: RowWrite, cards: Map<number, CardState>, holds: Map<number, Hold>): void {
  const o = w.outcome;
  const approved = isApproval(o.code);
  if (o.closeHold) {
    const hold = holds.get(o.closeHold.holdId);
    if (hold && hold.status === 'open') {
      const acct = cards.get(hold.cardId)?.accounts.get(hold.asset);
      if (acct) acct.held -= hold.remaining;
      hold.status = o.closeHold.status;
      hold.remaining = 0;
      w.closesHold = true;
    }
  }
  if (approved) {
    for (const e of o.entries ?? []) {
      for (const p of e.postings) {
        const card = cards.get(cardIdOf(p.account) ?? -1);
        if (!card) continue;
        const acct = card.accounts.get(p.asset) ?? { balance: 0, held: 0 };
        acct.balance += p.amount;
        card.accounts.set(p.asset, acct);
      }
    }
    if (o.placeHold && w.card) w.card.accounts.get(o.placeHold.asset)!.held += o.placeHold.amount;
  }
  w.response = responseOf(w);
}

/** A batch's decisions and what they changed, as the write step needs them. */
export interface BatchWrites {
  businessDate: string;
  now: Date;
  writes: readonly RowWrite[];
  cards: Map<number, CardState>;
  /** Originals whose status or refunded amount changed. */
  dirty: readonly TxnState[];
  /** Markers claimed for reversals of unknown originals that an approved reversal uses (others are not written). */
  markers: readonly TxnState[];
  /** Entry ids taken ahead (at least `entriesToPost(writes)`): each entry posted takes the next. */
  entryIds: readonly number[];
}

/**
 * The write step (design §2) as the statements of ONE message, COMMIT last: holds closed, every
 * entry of the batch (one statement), holds placed, the batch's rows inserted once and complete
 * (plus used markers; late originals take their marker's row), originals and cards changed. A
 * statement that fails stops the message, so nothing after it, the COMMIT included, runs.
 * Every entry has its id taken ahead (`b.entryIds`, at least `entriesToPost(b.writes)` of them):
 * a row names its first entry, and points bookkeeping (lots, draws, claw-back records) names the
 * entries it belongs to, right after the entries are posted.
 */
export function writeStatements(b: BatchWrites): string[] {
  if (b.entryIds.length < entriesToPost(b.writes)) throw new InvariantError('batch_entry_ids', 'fewer entry ids were taken ahead than the batch posts entries');
  const entries: Entry[] = [];
  const entryIds: number[] = [];
  const effects: string[] = [];
  const closes: { holdId: number; status: string }[] = [];
  const places: unknown[][] = [[], [], [], [], []];
  const fresh: TxnRow[] = [];
  const adopted: TxnRow[] = [];
  for (const w of b.writes) {
    const o = w.outcome;
    const approved = isApproval(o.code);
    if (w.closesHold) closes.push(o.closeHold!);
    const own = approved ? b.entryIds.slice(entryIds.length, entryIds.length + (o.entries?.length ?? 0)) : [];
    own.forEach((id, i) => {
      entries.push({ ...o.entries![i]!, transactionId: w.txnId });
      entryIds.push(id);
    });
    for (const part of approved ? o.points ?? [] : []) {
      for (const e of part.effects) {
        const [name, args] = effectStatement(e, (i) => (i === null ? null : own[part.offset + i]!));
        effects.push(execute(name, args));
      }
    }
    const entryId = own[0] ?? null;
    const placesHold = approved && o.placeHold !== undefined && w.card !== null;
    if (placesHold) [w.card!.id, o.placeHold!.asset, o.placeHold!.amount, w.txnId, o.placeHold!.expiresAt].forEach((v, n) => places[n]!.push(v));
    (w.adoptsMarker ? adopted : fresh).push(rowOf(w, b, entryId, placesHold ? 0 : null));
  }
  for (const m of b.markers) fresh.push(markerRow(m, b.now));
  const changes: CardChange[] = [...b.cards.values()].filter(isPatched).map((c) => ({
    id: c.id, status: c.patch.status ?? null, pinTries: c.patch.pinTries ?? null, activatedAt: c.patch.activatedAt ?? null,
  }));
  const originals: OriginalChange[] = b.dirty.map((t) => ({ id: t.id, status: t.status, refundedAmount: t.refundedAmount }));

  const statements: string[] = [];
  if (closes.length) statements.push(execute(STATEMENT.closeHolds, [closes.map((c) => c.holdId), closes.map((c) => c.status), b.now]));
  if (entries.length) statements.push(execute(STATEMENT.postEntries, postEntriesValues(b.businessDate, entries, entryIds)));
  statements.push(...effects); // after the entries they name; an undo may have bookkeeping but no entry
  if (places[0]!.length) statements.push(execute(STATEMENT.placeHolds, places));
  if (fresh.length) statements.push(execute(STATEMENT.insertTxns, columnArrays(TXN_COLUMNS, fresh)));
  if (adopted.length) statements.push(execute(STATEMENT.adoptMarkers, columnArrays(TXN_COLUMNS, adopted)));
  if (originals.length) statements.push(execute(STATEMENT.updateOriginals, columnArrays(ORIGINAL_COLUMNS, originals)));
  if (changes.length) statements.push(execute(STATEMENT.updateCards, columnArrays(CARD_COLUMNS, changes)));
  statements.push('commit');
  return statements;
}

/** How many entries the batch's approved outcomes post (each needs an id taken ahead). */
export function entriesToPost(writes: readonly RowWrite[]): number {
  return writes.reduce((n, w) => n + (isApproval(w.outcome.code) ? w.outcome.entries?.length ?? 0 : 0), 0);
}

/** A decided message's row, complete. */
function rowOf(w: RowWrite, b: BatchWrites, entryId: number | null, holdId: number | null): TxnRow {
  const o = w.outcome;
  const approved = isApproval(o.code);
  return {
    id: w.txnId, channelId: w.item.channel.id, requestId: w.item.msg.requestId, type: w.item.msg.type, cardId: w.cardIdForRow,
    merchantId: w.merchantIdForRow, terminalId: w.item.merchant.terminalId, asset: o.asset ?? w.card?.program.currency ?? null,
    amountRequested: w.item.msg.amount, amountApproved: w.response!.amount_approved, approved, responseCode: o.code,
    businessDate: b.businessDate, occurredAt: b.now, originalId: o.originalId ?? null, entryId, holdId,
    status: approved ? 'approved' : 'declined', commission: approved ? o.commission ?? 0 : 0, channelFee: approved ? o.channelFee ?? 0 : 0,
    bodyHash: w.item.bodyHash, response: w.response!,
  };
}

/** The row of a marker: a reversal's original key, taken before the original arrived. */
function markerRow(m: TxnState, now: Date): TxnRow {
  return {
    id: m.id, channelId: m.channelId, requestId: m.requestId, type: null, cardId: null, merchantId: null, terminalId: null, asset: null,
    amountRequested: null, amountApproved: 0, approved: false, responseCode: null, businessDate: m.businessDate, occurredAt: now,
    originalId: null, entryId: null, holdId: null, status: 'marker', commission: 0, channelFee: 0, bodyHash: null, response: null,
  };
}

const isPatched = (c: CardState) => Object.keys(c.patch).length > 0;
