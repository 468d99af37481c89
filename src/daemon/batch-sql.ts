/**
 * SQL of the batch pipeline's write step (batch-write.ts): set-based over arrays, run as SQL-level
 * prepared statements (fused.ts) in one message ending with COMMIT. The row lists are generated
 * from the one column list of each table (columns.ts).
 */
import { POST_SQL } from '../ledger/post.js';
import { CLOSE_SQL, PLACE_SQL } from '../ledger/holds.js';
import type { TxnStatus } from './handlers/types.js';
import type { TxnResponse } from './work-item.js';
import { names, selectList, setList, unnestOf, type Column } from './columns.js';
import { PREFETCH_SQL } from './prefetch.js';
import type { Statements } from './fused.js';
import { EFFECT_SQL } from '../points/effects-sql.js';

/** A transactions row as the batch writes it: once, complete. */
export interface TxnRow {
  id: number;
  channelId: number;
  requestId: string;
  type: string | null;
  cardId: number | null;
  merchantId: number | null;
  terminalId: number | null;
  asset: string | null;
  amountRequested: number | null;
  amountApproved: number;
  approved: boolean;
  responseCode: string | null;
  businessDate: string;
  occurredAt: Date;
  originalId: number | null;
  /** The first entry this row's message posted (its id taken ahead, see ENTRY_IDS_SQL). */
  entryId: number | null;
  /** 0: the hold placed for this row in the same message. */
  holdId: number | null;
  status: TxnStatus;
  commission: number;
  channelFee: number;
  bodyHash: Buffer | null;
  response: TxnResponse | null;
}

/** The transactions columns the batch writes (refunded_amount and created_at keep their defaults). */
export const TXN_COLUMNS: readonly Column<TxnRow>[] = [
  { name: 'id', type: 'bigint', value: (r) => r.id },
  { name: 'channel_id', type: 'bigint', value: (r) => r.channelId },
  { name: 'request_id', type: 'text', value: (r) => r.requestId },
  { name: 'type', type: 'text', value: (r) => r.type },
  { name: 'card_id', type: 'bigint', value: (r) => r.cardId },
  { name: 'merchant_id', type: 'bigint', value: (r) => r.merchantId },
  { name: 'terminal_id', type: 'bigint', value: (r) => r.terminalId },
  { name: 'asset', type: 'text', value: (r) => r.asset },
  { name: 'amount_requested', type: 'bigint', value: (r) => r.amountRequested },
  { name: 'amount_approved', type: 'bigint', value: (r) => r.amountApproved },
  { name: 'approved', type: 'boolean', value: (r) => r.approved },
  { name: 'response_code', type: 'text', value: (r) => r.responseCode },
  { name: 'business_date', type: 'date', value: (r) => r.businessDate },
  { name: 'occurred_at', type: 'timestamptz', value: (r) => r.occurredAt },
  { name: 'original_id', type: 'bigint', value: (r) => r.originalId },
  { name: 'entry_id', type: 'bigint', value: (r) => r.entryId },
  {
    name: 'hold_id', type: 'bigint', value: (r) => r.holdId,
    expr: (u) => `case when ${u}.hold_id = 0 then placed.id else ${u}.hold_id end`,
  },
  { name: 'status', type: 'text', value: (r) => r.status },
  { name: 'commission', type: 'bigint', value: (r) => r.commission },
  { name: 'channel_fee', type: 'bigint', value: (r) => r.channelFee },
  { name: 'body_hash', type: 'bytea', value: (r) => r.bodyHash },
  { name: 'response', type: 'json', value: (r) => (r.response === null ? null : JSON.stringify(r.response)) },
];

// The batch's new rows (and the markers its reversals left), each inserted once, complete. Their
// keys were claimed by the prefetch's advisory locks, so no other batch can have inserted them: a
// unique violation here is a bug, and fails the whole message (nothing after it, COMMIT included, runs).
// The hold a row's message placed in the same message (hold_id 0), joined from one lookup over the
// batch's ids rather than a subquery per row: Citus (design §9) plans such a lookup on its own and
// refuses a correlated subquery over a distributed table. (Entry ids are taken ahead instead.)
export const TXN_SOURCE = `${unnestOf(TXN_COLUMNS, 1)}
  left join (select card_id, transaction_id, id from holds where card_id = any($5::bigint[]) and transaction_id = any($1::bigint[])) placed
    on placed.card_id = u.card_id and placed.transaction_id = u.id`;

export const INSERT_TXNS_SQL = `
insert into transactions (${names(TXN_COLUMNS)})
select ${selectList(TXN_COLUMNS)} from ${TXN_SOURCE}`;

// A late original: the marker its reversal left becomes its (declined 94) row.
export const ADOPT_MARKERS_SQL = `
update transactions t set ${setList(TXN_COLUMNS, ['id', 'channel_id', 'request_id'])}
from ${TXN_SOURCE}
where t.id = u.id and t.status = 'marker'`;

/** An original whose status or refunded amount a decision changed. */
export interface OriginalChange { id: number; status: TxnStatus; refundedAmount: number }

export const ORIGINAL_COLUMNS: readonly Column<OriginalChange>[] = [
  { name: 'id', type: 'bigint', value: (r) => r.id },
  { name: 'status', type: 'text', value: (r) => r.status },
  { name: 'refunded_amount', type: 'bigint', value: (r) => r.refundedAmount },
];

export const UPDATE_ORIGINALS_SQL = `
update transactions t set ${setList(ORIGINAL_COLUMNS, ['id'])}
from ${unnestOf(ORIGINAL_COLUMNS, 1)}
where t.id = u.id`;

/** What a batch changes on a cards row (null: unchanged). */
export interface CardChange { id: number; status: string | null; pinTries: number | null; activatedAt: Date | null }

export const CARD_COLUMNS: readonly Column<CardChange>[] = [
  { name: 'id', type: 'bigint', value: (r) => r.id },
  { name: 'status', type: 'text', value: (r) => r.status, expr: (u) => `coalesce(${u}.status, c.status)` },
  { name: 'pin_tries', type: 'smallint', value: (r) => r.pinTries, expr: (u) => `coalesce(${u}.pin_tries, c.pin_tries)` },
  { name: 'activated_at', type: 'timestamptz', value: (r) => r.activatedAt, expr: (u) => `coalesce(${u}.activated_at, c.activated_at)` },
];

export const UPDATE_CARDS_SQL = `
update cards c set ${setList(CARD_COLUMNS, ['id'])}
from ${unnestOf(CARD_COLUMNS, 1)}
where c.id = u.id`;

/**
 * Entry ids taken from the sequence ahead, in the prefetch's message: the write step then names
 * each message's entry in its transactions row directly, instead of looking the entries up by
 * transaction after posting them. (The sequence is resolved once, not per id.)
 */
export const ENTRY_IDS_SQL = `
with seq as materialized (select pg_get_serial_sequence('entries', 'id')::regclass as s)
select to_json(array(select nextval(seq.s) from seq, generate_series(1, $1::int))) as ids`;

/** Names of the pipeline's SQL-level prepared statements. */
export const STATEMENT = {
  prefetch: 'purse_batch_prefetch',
  entryIds: 'purse_batch_entry_ids',
  closeHolds: 'purse_batch_close_holds',
  postEntries: 'purse_batch_post_entries',
  placeHolds: 'purse_batch_place_holds',
  insertTxns: 'purse_batch_insert_txns',
  adoptMarkers: 'purse_batch_adopt_markers',
  updateOriginals: 'purse_batch_update_originals',
  updateCards: 'purse_batch_update_cards',
} as const;

/** The statements every batch connection prepares once. */
export const STATEMENTS: Statements = {
  [STATEMENT.prefetch]: PREFETCH_SQL,
  [STATEMENT.entryIds]: ENTRY_IDS_SQL,
  [STATEMENT.closeHolds]: CLOSE_SQL,
  [STATEMENT.postEntries]: POST_SQL,
  [STATEMENT.placeHolds]: PLACE_SQL,
  [STATEMENT.insertTxns]: INSERT_TXNS_SQL,
  [STATEMENT.adoptMarkers]: ADOPT_MARKERS_SQL,
  [STATEMENT.updateOriginals]: UPDATE_ORIGINALS_SQL,
  [STATEMENT.updateCards]: UPDATE_CARDS_SQL,
  ...EFFECT_SQL,
};
