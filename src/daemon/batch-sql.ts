/**
 * SQL of the batch pipeline (batch.ts). Each runs as a named (prepared) statement on the worker's
 * checked-out connection, set-based over arrays, so a batch of any size costs the same few round trips.
 */

/** Columns of a stored transaction as TxnState reads them. */
export const TXN_COLUMNS = `id, channel_id, request_id, type, card_id, merchant_id, terminal_id, asset, amount_requested, amount_approved,
  approved, response_code, business_date, original_id, entry_id, hold_id, status, commission, channel_fee, refunded_amount, body_hash, response`;

// Claims the idempotency keys of a batch and takes the shared lock on the open business date.
// Keys are inserted in (channel, request_id) order so two batches claiming overlapping keys wait on
// each other in the same order (no deadlock). A key already taken (a repeat, or a reversal's
// original) is skipped: the caller reads it afterwards in a new statement, whose snapshot sees the
// row the blocking transaction committed. The left join returns the date even when every key conflicts.
// Each row's id is given ($12): the daemon takes them from the sequence ahead (id-pool.ts).
export const CLAIM_SQL = `
with bd as materialized (select open_business_date($1::date) as d),
x as (
  select * from unnest($12::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bytea[], $10::text[])
    as x(id, channel_id, request_id, type, card_id, merchant_id, terminal_id, amount_requested, body_hash, status)
), ins as (
  insert into transactions (id, channel_id, request_id, type, card_id, merchant_id, terminal_id, amount_requested, body_hash, status, business_date, occurred_at)
  select id, channel_id, request_id, type, card_id, merchant_id, terminal_id, amount_requested, body_hash, status, (select d from bd), $11::timestamptz
  from x order by channel_id, request_id
  on conflict (channel_id, request_id) do nothing
  returning id, channel_id, request_id
)
select bd.d as business_date, ins.id, ins.channel_id, ins.request_id from bd left join ins on true`;

// Locks the stored transactions a batch refers to, in id order: originals named by
// (channel, request_id), repeated keys, and for refunds among them the purchase they refund (a void
// or reversal of a refund gives the amount back to it).
export const LOCK_TXNS_SQL = `
with k as (select * from unnest($1::bigint[], $2::text[]) as k(channel_id, request_id))
select ${TXN_COLUMNS} from transactions
where (channel_id, request_id) in (select channel_id, request_id from k)
   or id in (select t.original_id from transactions t join k using (channel_id, request_id) where t.type = 'refund')
order by id
for no key update`;

// Locks cards and all their accounts (every asset: points handlers need PTS rows too) in ascending
// card id order: every batch and the hold-expiry job lock cards in this order, so they never deadlock.
export const LOCK_CARDS_SQL = `
select c.id, c.program_id, c.status, c.expiry_date, c.pin_hmac, c.pin_tries, c.last_activity_at, a.asset, a.balance, a.held,
  (c.holder_id is null and (select named from programs where id = c.program_id)) as needs_holder
from cards c join card_accounts a on a.card_id = c.id
where c.id = any($1::bigint[])
order by c.id, a.asset
for no key update`;

// The one-round-trip batch's rows (one-trip.ts), decided before the transaction and so written
// once, complete, where the other paths claim a 'pending' row and update it. In (channel,
// request_id) order and with the business date's shared lock, as CLAIM_SQL. The batch decided on
// its keys being new and on its calendar date being open: a key already taken inserts nothing, a
// closed date moves the rows to the next one, and purse_expect raises on either.
export const RECORD_SQL = `
with bd as materialized (select open_business_date($1::date) as d),
ins as (
  insert into transactions (id, channel_id, request_id, type, card_id, merchant_id, terminal_id, asset, amount_requested, amount_approved,
    approved, response_code, original_id, entry_id, hold_id, status, commission, channel_fee, body_hash, response, business_date, occurred_at)
  select u.id, u.channel_id, u.request_id, u.type, u.card_id, u.merchant_id, u.terminal_id, u.asset, u.amount_requested, u.amount_approved,
    u.approved, u.response_code, u.original_id, u.entry_id, u.hold_id, u.status, u.commission, u.channel_fee, u.body_hash, u.response,
    (select d from bd), $22::timestamptz
  from unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[], $9::text[], $10::bigint[], $11::bigint[],
              $12::boolean[], $13::text[], $14::bigint[], $15::bigint[], $16::bigint[], $17::text[], $18::bigint[], $19::bigint[], $20::bytea[], $21::json[])
    as u(id, channel_id, request_id, type, card_id, merchant_id, terminal_id, asset, amount_requested, amount_approved,
         approved, response_code, original_id, entry_id, hold_id, status, commission, channel_fee, body_hash, response)
  order by u.channel_id, u.request_id
  on conflict (channel_id, request_id) do nothing
  returning business_date
)
select purse_expect(count(*) = cardinality($2::bigint[]) and bool_and(business_date = $1::date), 'new keys on the calendar date') from ins`;

// The one-round-trip batch's check (one-trip.ts), between its rows and its entries: its cards,
// locked here as LOCK_CARDS_SQL locks them, are exactly as the batch remembered them (every column
// a decision reads, every account). purse_expect raises otherwise. last_activity_at is compared to
// the millisecond, the precision a JavaScript Date keeps.
export const EXPECT_SQL = `
with locked as materialized (
  select c.id, c.program_id, c.status, c.expiry_date, c.pin_hmac, c.pin_tries, c.last_activity_at, a.asset, a.balance, a.held,
    (c.holder_id is null and (select named from programs where id = c.program_id)) as needs_holder
  from cards c join card_accounts a on a.card_id = c.id
  where c.id = any($1::bigint[])
  order by c.id, a.asset
  for no key update
), remembered as (
  select * from unnest($2::bigint[], $3::bigint[], $4::text[], $5::date[], $6::bytea[], $7::smallint[], $8::timestamptz[], $9::text[], $10::bigint[], $11::bigint[], $12::boolean[])
    as r(id, program_id, status, expiry_date, pin_hmac, pin_tries, last_activity_at, asset, balance, held, needs_holder)
)
select purse_expect(
  (select count(*) from locked) = (select count(*) from remembered)
  and not exists (
    select 1 from remembered r
    where not exists (
      select 1 from locked l
      where l.id = r.id and l.asset = r.asset and l.balance = r.balance and l.held = r.held and l.program_id = r.program_id
        and l.status = r.status and l.pin_tries = r.pin_tries and l.expiry_date is not distinct from r.expiry_date
        and l.pin_hmac is not distinct from r.pin_hmac and l.needs_holder = r.needs_holder
        and date_trunc('milliseconds', l.last_activity_at) is not distinct from r.last_activity_at)),
  'remembered cards')`;

/** Cards without any account row yet (the join above misses them). */
export const LOCK_BARE_CARDS_SQL = `
select c.id, c.program_id, c.status, c.expiry_date, c.pin_hmac, c.pin_tries, c.last_activity_at,
  (c.holder_id is null and (select named from programs where id = c.program_id)) as needs_holder
from cards c where c.id = any($1::bigint[]) order by c.id for no key update`;

/** Shared locks on earlier business dates a reversal posts into, and whether each is still open. */
export const LOCK_DATES_SQL = `
select d::text as d, lock_business_date_if_open(d) as open from unnest($1::date[]) as d order by d`;

export const POSTINGS_SQL = `
select entry_id, account, asset, amount from postings where entry_id = any($1::bigint[]) order by entry_id, account, asset`;

// Completes a batch in one statement: the batch's own rows (claimed as 'pending', or an adopted
// marker), the originals whose status or refunded amount changed, the cards' status / PIN tries /
// activity, and markers claimed for reversals that ended up not needing them.
export const APPLY_SQL = `
with own as (
  update transactions t set type = u.type, card_id = u.card_id, merchant_id = u.merchant_id, terminal_id = u.terminal_id,
    asset = u.asset, amount_requested = u.amount_requested, amount_approved = u.amount_approved, approved = u.approved,
    response_code = u.response_code, original_id = u.original_id, entry_id = u.entry_id, hold_id = u.hold_id, status = u.status,
    commission = u.commission, channel_fee = u.channel_fee, body_hash = u.body_hash, response = u.response
  from unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::bigint[], $8::bigint[], $9::boolean[],
              $10::text[], $11::bigint[], $12::bigint[], $13::bigint[], $14::text[], $15::bigint[], $16::bigint[], $17::bytea[], $18::json[])
    as u(id, type, card_id, merchant_id, terminal_id, asset, amount_requested, amount_approved, approved, response_code, original_id,
         entry_id, hold_id, status, commission, channel_fee, body_hash, response)
  where t.id = u.id
), originals as (
  update transactions t set status = u.status, refunded_amount = u.refunded_amount
  from unnest($19::bigint[], $20::text[], $21::bigint[]) as u(id, status, refunded_amount)
  where t.id = u.id
), card_rows as (
  update cards c set status = coalesce(u.status, c.status), pin_tries = coalesce(u.pin_tries, c.pin_tries),
    activated_at = coalesce(u.activated_at, c.activated_at), last_activity_at = coalesce(u.last_activity_at, c.last_activity_at)
  from unnest($22::bigint[], $23::text[], $24::smallint[], $25::timestamptz[], $26::timestamptz[])
    as u(id, status, pin_tries, activated_at, last_activity_at)
  where c.id = u.id
), unused_markers as (
  delete from transactions where id = any($27::bigint[]) and status = 'marker'
)
select 1`;

// APPLY_SQL for the fused path (fused.ts), where the batch's entries are posted by the previous
// statement of the same message and their ids never come back to TypeScript: $12 only says
// whether the message posted an entry (any non-null value), and its entry_id is the first entry
// posted for its transaction row (entries.transaction_id is the row's id; a message's entries are
// posted in order, and a fresh row has no earlier entries).
export const APPLY_FUSED_SQL = APPLY_SQL.replace(
  'entry_id = u.entry_id,',
  'entry_id = case when u.entry_id is null then null else (select min(e.id) from entries e where e.transaction_id = u.id) end,',
);
if (APPLY_FUSED_SQL === APPLY_SQL) throw new Error('APPLY_FUSED_SQL: entry_id assignment not found in APPLY_SQL');
