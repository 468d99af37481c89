/**
 * The batch's statements on a Citus coordinator (design §9): the same names and parameters as
 * batch-sql.ts, so the write step builds one message either way, but each statement is routed to
 * the one shard group of its batch (migration 000300). Citus commits a transaction in one phase
 * only when every modifying statement runs on one shard and all of them on one worker connection;
 * an INSERT … SELECT (rows through the coordinator's COPY) always takes two phases. So inserts
 * become INSERT … VALUES issued by functions, and every UPDATE names its rows' ids, which Citus
 * prunes to their shard.
 */
import { ADOPT_MARKERS_SQL, STATEMENT, STATEMENTS, TXN_COLUMNS, TXN_SOURCE, UPDATE_CARDS_SQL, UPDATE_ORIGINALS_SQL } from './batch-sql.js';
import type { Statements } from './fused.js';

/** Ids of a table's sequence that hash into one shard's range (purse_shard_ids, migration 000300). */
export const SHARD_IDS_SQL = 'select to_json(purse_shard_ids($1::regclass, $2::int, $3::int, $4::int)) as ids';

/** Name of the prepared SHARD_IDS_SQL (prepared on Citus only). */
export const SHARD_IDS = 'purse_batch_shard_ids';

/** A key's claim (purse_citus_claim, migration 000301), run in a transaction of its own. */
export const CLAIM = 'purse_batch_claim';
const CLAIM_SQL = 'select purse_citus_claim($1::bigint, $2::text, $3::bytea, $4::int, $5::int, $6::bigint, $7::text) as c';

/** A claim marked done after its row committed (one shard: the claim's). */
export const CLAIM_DONE = 'purse_batch_claim_done';
const CLAIM_DONE_SQL = `update request_claims set status = 'done'
where request_id = $2::text and channel_id = $1::bigint and transaction_id = $3::bigint and status <> 'done'`;

const txnRows = TXN_COLUMNS.map((c) => `${c.expr ? c.expr('u') : `u.${c.name}`} as ${c.name}`).join(', ');

/** Every statement of the batch on Citus: the single server's, with the writes routed to one shard. */
export const CITUS_STATEMENTS: Statements = {
  ...STATEMENTS,
  [SHARD_IDS]: SHARD_IDS_SQL,
  [CLAIM]: CLAIM_SQL,
  [CLAIM_DONE]: CLAIM_DONE_SQL,
  [STATEMENT.closeHolds]: 'select purse_citus_close_holds($1::bigint[], $2::text[], $3::timestamptz)',
  [STATEMENT.postEntries]: `select purse_citus_post($1::int, $2::text[], $3::date[], $4::timestamptz[], $5::bigint[], $6::bigint[], $7::bigint[],
    $8::bigint[], $9::jsonb[], $10::int[], $11::text[], $12::text[], $13::bigint[], $14::bigint[], $15::bigint[])`,
  [STATEMENT.placeHolds]: 'select purse_citus_place_holds($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::timestamptz[])',
  [STATEMENT.insertTxns]: `select purse_citus_insert_rows('transactions', (select json_agg(r) from (select ${txnRows} from ${TXN_SOURCE}) r))`,
  [STATEMENT.adoptMarkers]: `${ADOPT_MARKERS_SQL} and t.id = any($1::bigint[])`,
  [STATEMENT.updateOriginals]: `${UPDATE_ORIGINALS_SQL} and t.id = any($1::bigint[])`,
  [STATEMENT.updateCards]: `${UPDATE_CARDS_SQL} and c.id = any($1::bigint[])`,
  purse_points_credit_lot: 'select purse_citus_points_credit_lot($1::bigint, $2::bigint, $3::bigint, $4::timestamptz, $5::bigint)',
  purse_points_debit_lots: 'select purse_citus_points_debit_lots($1::bigint, $2::bigint, $3::bigint, $4::timestamptz, $5::bigint[], $6::bigint)',
  purse_points_restore_lot: 'select purse_citus_points_restore_lot($1::bigint, $2::bigint, $3::bigint, $4::bigint)',
};
