import pg from 'pg';
import type { EntryKind } from './entry.js';
import type { Queryable } from './post.js';
import { InvariantError, PurseError } from '../errors.js';

/** What a set-based bulk credit posted: `count` entries crediting `amount` in all (each source row's entry is in its `entry_id`). */
export interface BulkCredits {
  count: number;
  amount: number;
}

/** A decided bulk credit found a card's balance raised since it was read: roll back and decide again with the cards locked first. */
export class BulkCreditRaced extends PurseError {
  constructor(cards: number) {
    super('bulk_credit_raced', `${cards} card balances changed between the decision and the credit`, { exitCode: 75, retryable: true });
  }
}

/**
 * Set-based bulk credits onto card value accounts, decided beforehand, with the cards locked only
 * at the end (bulk loads, which run beside the daemon; `postEntries` is one statement per call too,
 * but needs every leg shipped from TypeScript). `source` names a table, usually a temporary one,
 * with the columns
 *   `ord bigint, card_id bigint, asset text, amount bigint, counter_account text, max_balance bigint, memo jsonb, entry_id bigint`
 * (`ord` unique, `entry_id` null) and possibly several rows per (card_id, asset): the caller has
 * already decided which rows to credit (e.g. from balances read without a lock). In the caller's
 * transaction: every row becomes one entry of `kind` on `businessDate` — card value +amount,
 * `counter_account` −amount — whose id the row's `entry_id` is set to (so the caller's other writes
 * name the entries without the ids travelling to TypeScript and back), then
 * `beforeBalances` runs (the caller's other writes of the same transaction, e.g. what references
 * the entries), and last the cards' accounts are locked in (card_id, asset) order
 * (`lockCardAccounts`) and raised, each by the sum of its rows. So a card is locked from those two
 * last statements to the caller's commit, not while the entries are written. Each raised balance must stay at or
 * under the rows' `max_balance` (a balance lowered meanwhile only leaves more room); when one was
 * raised meanwhile past that, or an account is missing, throws BulkCreditRaced and the caller
 * rolls back: deciding again after locking the cards (`lockCardAccounts`) cannot race. The
 * caller holds the business-date lock (openBusinessDate) and commits.
 */
export async function postCardCredits(
  db: Queryable, businessDate: string, kind: EntryKind, occurredAt: Date, source: string,
  beforeBalances: (credits: BulkCredits) => Promise<void> = async () => {},
): Promise<BulkCredits> {
  const src = pg.escapeIdentifier(source);
  // Named per source table: a bulk load runs these once per chunk, parsed and planned once per
  // connection instead (about 1 ms a chunk each).
  const { rows: [bad] } = await db.query<{ nonpositive: number }>({
    name: `purse_bulk_nonpositive:${source}`, text: `select count(*) filter (where amount <= 0)::int as nonpositive from ${src}`,
  });
  if (bad!.nonpositive > 0) throw new InvariantError('bulk_nonpositive', `${source}: ${bad!.nonpositive} rows credit zero or less`);
  const { rows: [posted] } = await db.query<{ count: number; amount: number }>({
    name: `purse_bulk_entries:${source}`, text: DECIDED_ENTRIES_SQL.replaceAll('$source', src),
    values: [kind, businessDate, occurredAt],
  });
  const credits = { count: posted!.count, amount: posted!.amount };
  await beforeBalances(credits);
  await lockCardAccounts(db, source);
  const { rows: [raised] } = await db.query<{ accounts: number; raised: number }>({
    name: `purse_bulk_raise:${source}`, text: RAISE_SQL.replaceAll('$source', src),
  });
  if (raised!.raised !== raised!.accounts) throw new BulkCreditRaced(raised!.accounts - raised!.raised);
  return credits;
}

/**
 * Locks every account of the cards `source` names (a table with a `card_id` column) in
 * (card_id, asset) order — the order the daemon's prefetch locks them in, so a bulk credit and a
 * batch of purchases never wait on each other in a cycle (a deadlock costs both deadlock_timeout).
 * Migration 000260's function: one ordered query, or on Citus one single-shard query per card.
 */
export async function lockCardAccounts(db: Queryable, source: string): Promise<void> {
  await db.query(`select purse_lock_card_accounts(array(select distinct card_id from ${pg.escapeIdentifier(source)}))`);
}

// Entries and postings of decided card credits; the balances are raised by RAISE_SQL. The entries'
// sequence is resolved once (pg_get_serial_sequence per row cost about 3 µs of each row's credit).
// Both legs of every entry go in one INSERT, so the statement-level balance trigger sees whole
// entries.
// 'card:' || id || ':value' is account.cardValue(id) (src/ledger/accounts.ts), spelled in SQL
// because the rows never leave the database; test/ledger/bulk.test.ts holds the two together.
// Bulk credits name no merchant or channel (entries.merchant_id/channel_id null), so their postings'
// copies of them (postings.merchant_id/channel_id, migration 000090) are left null too.
const DECIDED_ENTRIES_SQL = `
with seq as materialized (
  select pg_get_serial_sequence('entries', 'id')::regclass as s
), e as materialized (
  select src.ord, src.card_id, src.asset, src.amount, src.counter_account, src.memo, nextval(seq.s) as entry_id
  from seq, (select ord, card_id, asset, amount, counter_account, memo from $source order by ord) src
), new_entries as (
  insert into entries (id, kind, business_date, occurred_at, memo)
  select entry_id, $1::text, $2::date, $3::timestamptz, memo from e
), new_postings as (
  insert into postings (entry_id, account, asset, amount, card_id, business_date, entry_kind)
  select e.entry_id, l.account, e.asset, l.amount, l.card_id, $2::date, $1::text
  from e cross join lateral (values
    ('card:' || e.card_id || ':value', e.amount, e.card_id),
    (e.counter_account, -e.amount, null::bigint)) as l(account, amount, card_id)
), numbered as (
  update $source s set entry_id = e.entry_id from e where s.ord = e.ord
)
select count(*)::int as count, coalesce(sum(amount), 0)::bigint as amount from e`;

// The accounts are locked (lockCardAccounts) just before; the guard is re-checked by READ
// COMMITTED on the latest row version had a concurrent credit committed after the decision.
const RAISE_SQL = `
with sums as (
  select card_id, asset, sum(amount)::bigint as amount, min(max_balance) as max_balance from $source group by card_id, asset
), raised as (
  update card_accounts ca set balance = ca.balance + s.amount
  from sums s
  where ca.card_id = s.card_id and ca.asset = s.asset and ca.balance + s.amount <= s.max_balance
  returning 1
)
select (select count(*) from sums)::int as accounts, (select count(*) from raised)::int as raised`;

/**
 * Set-based two-leg entries between accounts that are not card accounts (settlement and points
 * revaluation: the legs are computed in SQL and never leave the database). `source` names a table,
 * usually a temporary one, with the columns
 *   `account text, counter_account text, asset text, amount bigint, memo jsonb`
 * and each row becomes one entry of `kind` on `businessDate`: `account` +amount, `counter_account`
 * −amount (the amount may be negative), with the row's memo. Entries are numbered in the order of
 * (account, counter_account, asset), so a run posts the same way every time. Refuses a zero amount
 * and any card account (card balances are kept in place: credit them with `postCardCredits` or
 * `postEntries`). Returns the number of entries. The caller holds the business-date lock and commits.
 */
export async function postPairedEntries(
  db: Queryable, businessDate: string, kind: EntryKind, occurredAt: Date, source: string,
): Promise<number> {
  const src = pg.escapeIdentifier(source);
  const { rows: [bad] } = await db.query<{ zero: number; card: number }>(`
    select count(*) filter (where amount = 0)::int as zero,
           count(*) filter (where account like 'card:%' or counter_account like 'card:%')::int as card
    from ${src}`);
  if (bad!.zero > 0) throw new InvariantError('bulk_zero_amount', `${source}: ${bad!.zero} rows move nothing`);
  if (bad!.card > 0) throw new InvariantError('bulk_card_account', `${source}: ${bad!.card} rows name a card account`);
  const { rows: [n] } = await db.query<{ n: number }>({
    text: PAIRED_SQL.replaceAll('$source', src),
    values: [kind, businessDate, occurredAt],
  });
  return n!.n;
}

// Both legs of every entry go in one INSERT, so the statement-level balance trigger sees whole
// entries. These entries name no merchant or channel, so their postings' copies of them
// (postings.merchant_id/channel_id, migration 000090) are left null.
const PAIRED_SQL = `
with seq as materialized (
  select pg_get_serial_sequence('entries', 'id')::regclass as s
), e as materialized (
  select src.*, nextval(seq.s) as entry_id
  from seq, (select * from $source order by account, counter_account, asset) src
), new_entries as (
  insert into entries (id, kind, business_date, occurred_at, memo)
  select entry_id, $1::text, $2::date, $3::timestamptz, memo from e
), new_postings as (
  insert into postings (entry_id, account, asset, amount, business_date, entry_kind)
  select e.entry_id, l.account, e.asset, l.amount, $2::date, $1::text
  from e cross join lateral (values (e.account, e.amount), (e.counter_account, -e.amount)) as l(account, amount)
)
select count(*)::int as n from e`;
