import type pg from 'pg';
import { postEntries, postEntriesValues } from '../ledger/post.js';
import { closeHolds, placeHolds, type Hold, type HoldClose, type NewHold } from '../ledger/holds.js';
import { cardIdOf } from '../ledger/accounts.js';
import { InvariantError } from '../errors.js';
import { localDate } from '../ledger/calendar.js';
import type { Entry } from '../ledger/entry.js';
import { CODES, isApproval, type ResponseCode } from './codes.js';
import { APPLY_SQL } from './batch-sql.js';
import { execute, runFused } from './fused.js';
import { FUSED } from './batch-fused.js';
import type { CardState, Outcome, TxnState } from './handlers/types.js';
import type { TxnResponse, WorkItem } from './work-item.js';

/** One decided message of a batch, ready to be written. */
export interface RowWrite {
  item: WorkItem;
  txnId: number;
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
export function applyInMemory(w: RowWrite, cards: Map<number, CardState>, holds: Map<number, Hold>, now: Date, timezone: string): void {
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
        if (activityDayChanges(card, now, timezone)) card.patch.lastActivityAt = now;
      }
    }
    if (o.placeHold && w.card) w.card.accounts.get(o.placeHold.asset)!.held += o.placeHold.amount;
  }
  w.response = responseOf(w);
}

/**
 * Whether money moved on `card` at `now` must be written to cards.last_activity_at: only when its
 * local date (the business time zone) differs from the stored one's. Dormancy compares that date
 * only, and skipping the write spares a second row update per purchase (cards is locked anyway,
 * card_accounts updated anyway). So the column holds the first activity of the card's latest
 * active day; the exact latest activity is in its postings (`purse cards show` reads it there).
 */
function activityDayChanges(card: CardState, now: Date, timezone: string): boolean {
  if (card.patch.lastActivityAt) return false;
  return card.lastActivityAt === null || localDate(card.lastActivityAt, timezone) !== localDate(now, timezone);
}

/** What a batch's decided messages write: entries (with each message's first index, -1 none), holds, responses. */
export interface Collected {
  entries: Entry[];
  entryIndex: number[];
  closes: { holdId: number; status: HoldClose }[];
  places: NewHold[];
  placeIndex: number[];
  responses: TxnResponse[];
}

/** Gathers what a batch's decided messages write, in message order. */
export function collect(writes: readonly RowWrite[]): Collected {
  const c: Collected = { entries: [], entryIndex: [], closes: [], places: [], placeIndex: [], responses: [] };
  for (const w of writes) {
    const o = w.outcome;
    const approved = isApproval(o.code);
    if (w.closesHold) c.closes.push(o.closeHold!);
    // An outcome posted immediately (points, batch.ts) is not posted again.
    const posted = approved && o.postedEntryIds !== undefined;
    c.entryIndex.push(approved && o.entries?.length && !posted ? c.entries.length : -1);
    if (approved && !posted) for (const e of o.entries ?? []) c.entries.push({ ...e, transactionId: w.txnId });
    c.placeIndex.push(approved && o.placeHold ? c.places.length : -1);
    if (approved && o.placeHold && w.card) {
      c.places.push({ cardId: w.card.id, asset: o.placeHold.asset, amount: o.placeHold.amount, transactionId: w.txnId, expiresAt: o.placeHold.expiresAt });
    }
    c.responses.push(w.response!);
  }
  return c;
}

/**
 * A batch's entries, rows and COMMIT as statements of one message (see fused.ts), or null when
 * something needs an id back before the rows are written (holds to close or place, handler SQL
 * afterwards). The connection must have FUSED_STATEMENTS prepared.
 */
export function fusedWrites(
  businessDate: string, writes: readonly RowWrite[], cards: Map<number, CardState>, dirty: readonly TxnState[], unusedMarkers: readonly number[],
): { statements: string[]; responses: TxnResponse[] } | null {
  if (writes.some((w) => w.outcome.after)) return null;
  const c = collect(writes);
  if (c.closes.length > 0 || c.places.length > 0) return null;
  const statements = c.entries.length ? [execute(FUSED.postEntries, postEntriesValues(businessDate, c.entries))] : [];
  // APPLY_FUSED_SQL finds the entry ids itself; 0 only marks "posted an entry".
  const entryMarks = c.entryIndex.map((i) => (i >= 0 ? 0 : null));
  statements.push(execute(FUSED.applyFused, applyValues(writes, c.responses, entryMarks, c.placeIndex.map(() => null), cards, dirty, unusedMarkers)), 'commit');
  return { statements, responses: c.responses };
}

/**
 * Writes a batch whose outcomes applyInMemory has applied: holds closed, all entries in one
 * statement, holds placed, handlers' extra SQL, then rows, originals and cards in one statement.
 * Returns the responses. With `commit`, a batch fusedWrites can write sends its entries, its rows
 * and COMMIT in one round trip, and reports `committed`; otherwise the caller commits.
 */
export async function writeBatch(
  client: pg.ClientBase, businessDate: string, now: Date, writes: readonly RowWrite[], cards: Map<number, CardState>,
  dirty: readonly TxnState[], unusedMarkers: readonly number[], opts: { commit: boolean } = { commit: false },
): Promise<{ responses: TxnResponse[]; committed: boolean }> {
  const fused = opts.commit ? fusedWrites(businessDate, writes, cards, dirty, unusedMarkers) : null;
  if (fused) {
    await runFused(client, fused.statements);
    return { responses: fused.responses, committed: true };
  }

  const { entries, entryIndex, closes, places, placeIndex, responses } = collect(writes);
  await closeHolds(client, closes, now);
  const entryIds = await postEntries(client, businessDate, entries);
  const holdIds = await placeHolds(client, places);
  for (const [n, w] of writes.entries()) {
    const first = entryIndex[n]!;
    if (w.outcome.after) await w.outcome.after(client, { transactionId: w.txnId, entryIds: first < 0 ? [] : entryIds.slice(first, first + (w.outcome.entries?.length ?? 0)) });
  }

  await client.query({
    name: 'daemon_apply',
    text: APPLY_SQL,
    values: applyValues(
      writes, responses, entryIndex.map((i, n) => (i >= 0 ? entryIds[i]! : writes[n]!.outcome.postedEntryIds?.[0] ?? null)), placeIndex.map((i) => (i >= 0 ? holdIds[i]! : null)), cards, dirty, unusedMarkers,
    ),
  });
  return { responses, committed: false };
}

/** The parameters of APPLY_SQL (and APPLY_FUSED_SQL): each message's row, changed originals, card patches, unused markers. */
function applyValues(
  writes: readonly RowWrite[], responses: readonly TxnResponse[], entryIds: readonly (number | null)[], holdIds: readonly (number | null)[],
  cards: Map<number, CardState>, dirty: readonly TxnState[], unusedMarkers: readonly number[],
): unknown[] {
  return [
    writes.map((w) => w.txnId), ...rowColumns(writes, responses, entryIds, holdIds),
    dirty.map((t) => t.id), dirty.map((t) => t.status), dirty.map((t) => t.refundedAmount),
    ...patchColumns(cards),
    unusedMarkers,
  ];
}

/** How many columns rowColumns gives: `type` … `response` (a batch with no rows still sends them, empty). */
const ROW_COLUMNS = 17;

/**
 * The columns of each message's transaction row from `type` to `response`, in the order APPLY_SQL
 * and RECORD_SQL take them.
 */
function rowColumns(writes: readonly RowWrite[], responses: readonly TxnResponse[], entryIds: readonly (number | null)[], holdIds: readonly (number | null)[]): unknown[][] {
  const rows = writes.map((w, n) => {
    const o = w.outcome;
    const approved = isApproval(o.code);
    return [
      w.item.msg.type, w.cardIdForRow, w.merchantIdForRow, w.item.merchant.terminalId, o.asset ?? w.card?.program.currency ?? null,
      w.item.msg.amount, responses[n]!.amount_approved, approved, o.code, o.originalId ?? null, entryIds[n] ?? null, holdIds[n] ?? null,
      approved ? 'approved' : 'declined', approved ? o.commission ?? 0 : 0, approved ? o.channelFee ?? 0 : 0, w.item.bodyHash, JSON.stringify(responses[n]),
    ];
  });
  return Array.from({ length: ROW_COLUMNS }, (_, col) => rows.map((r) => r[col]));
}

const isPatched = (c: CardState) => Object.keys(c.patch).length > 0;

/** APPLY_SQL's card columns: status, PIN tries, activation and activity of the cards a batch changed. */
function patchColumns(cards: Map<number, CardState>): unknown[][] {
  const patched = [...cards.values()].filter(isPatched);
  return [
    patched.map((c) => c.id), patched.map((c) => c.patch.status ?? null), patched.map((c) => c.patch.pinTries ?? null),
    patched.map((c) => c.patch.activatedAt ?? null), patched.map((c) => c.patch.lastActivityAt ?? null),
  ];
}

/**
 * The one-round-trip batch's writes (one-trip.ts) as statements of one message: `record`, its
 * complete rows (RECORD_SQL, sent before its check), and `rest`: its entries under `entryIds`
 * (taken ahead, one per entry of `c`), its cards' changes, COMMIT. Only for batches that close or
 * place no hold and run no handler SQL (runOneTrip takes no others): those need ids back before
 * the rows are written.
 */
export function recordedWrites(
  calendarDate: string, now: Date, writes: readonly RowWrite[], c: Collected, cards: Map<number, CardState>, entryIds: readonly number[],
): { record: string; rest: string[] } {
  if (c.closes.length > 0 || c.places.length > 0 || writes.some((w) => w.outcome.after)) {
    throw new InvariantError('one_trip_ids_needed', 'a one-round-trip batch closes or places a hold or runs handler SQL');
  }
  const rowEntryIds = c.entryIndex.map((i) => (i >= 0 ? entryIds[i]! : null));
  const record = execute(FUSED.record, [
    calendarDate, writes.map((w) => w.txnId), writes.map((w) => w.item.channel.id), writes.map((w) => w.item.msg.requestId),
    ...rowColumns(writes, c.responses, rowEntryIds, writes.map(() => null)), now,
  ]);
  const rest = c.entries.length ? [execute(FUSED.postEntries, postEntriesValues(calendarDate, c.entries, entryIds))] : [];
  // Card changes (PIN tries, status, activity day) go through APPLY_SQL with no rows to complete.
  if ([...cards.values()].some(isPatched)) rest.push(execute(FUSED.applyFused, applyValues([], [], [], [], cards, [], [])));
  rest.push('commit');
  return { record, rest };
}
