import pg from 'pg';
import type { EntryKind } from './entry.js';
import type { Queryable } from './post.js';
import { InvariantError } from '../errors.js';

/** Entries a set-based bulk credit posted: source row `ords[i]` became entry `entryIds[i]` crediting `amounts[i]`. */
export interface BulkCredits {
  ords: number[];
  entryIds: number[];
  amounts: number[];
}

/**
 * Set-based bulk credits onto card value accounts (bulk loads; `postEntries` is one statement
 * per call too, but needs every leg shipped from TypeScript). `source` names a table, usually a
 * temporary one, with the columns
 *   `ord bigint, card_id bigint, asset text, amount bigint, counter_account text, max_balance bigint, memo jsonb`
 * and at most one row per (card_id, asset). Each row whose credit keeps the card's balance at or
 * under `max_balance` becomes one entry of `kind` on `businessDate` with two legs — card value
 * +amount, `counter_account` −amount — and the card balance is raised in place, all in one
 * statement: the postings trigger still checks every entry balances, the card_accounts CHECKs
 * still hold, and the maximum is checked on the row as updated (a concurrent credit committed
 * first is seen). Rows over the maximum, or whose card has no account in that asset, are left
 * out. The caller holds the business-date lock (openBusinessDate) and commits.
 */
export async function postCardCredits(
  db: Queryable, businessDate: string, kind: EntryKind, occurredAt: Date, source: string,
): Promise<BulkCredits> {
  const src = pg.escapeIdentifier(source);
  const { rows: [bad] } = await db.query<{ dup: number; nonpositive: number }>(`
    select (count(*) - count(distinct (card_id, asset)))::int as dup, count(*) filter (where amount <= 0)::int as nonpositive from ${src}`);
  if (bad!.dup > 0) throw new InvariantError('bulk_duplicate_card', `${source}: ${bad!.dup} rows repeat a card and asset`);
  if (bad!.nonpositive > 0) throw new InvariantError('bulk_nonpositive', `${source}: ${bad!.nonpositive} rows credit zero or less`);
  const { rows } = await db.query<{ ord: number; entry_id: number; amount: number }>({
    text: CREDIT_SQL.replaceAll('$source', src),
    values: [kind, businessDate, occurredAt],
  });
  return { ords: rows.map((r) => r.ord), entryIds: rows.map((r) => r.entry_id), amounts: rows.map((r) => r.amount) };
}

// The guarded UPDATE decides which rows are credited: under READ COMMITTED it re-checks
// `balance + amount <= max_balance` on the latest row version when a concurrent transaction
// changed the card meanwhile. Only the rows it returns get an entry and postings; both legs of
// every entry go in one INSERT so the statement-level balance trigger sees whole entries.
// 'card:' || id || ':value' is account.cardValue(id) (src/ledger/accounts.ts), spelled in SQL
// because the rows never leave the database; test/ledger/bulk.test.ts holds the two together.
// Bulk credits name no merchant or channel (entries.merchant_id/channel_id null), so their postings'
// copies of them (postings.merchant_id/channel_id, migration 000090) are left null too.
const CREDIT_SQL = `
with moved as (
  update card_accounts ca set balance = ca.balance + s.amount
  from $source s
  where ca.card_id = s.card_id and ca.asset = s.asset and ca.balance + s.amount <= s.max_balance
  returning s.ord, s.card_id, s.asset, s.amount, s.counter_account, s.memo
), e as materialized (
  select moved.*, nextval(pg_get_serial_sequence('entries', 'id')) as entry_id from moved
), new_entries as (
  insert into entries (id, kind, business_date, occurred_at, memo)
  select entry_id, $1::text, $2::date, $3::timestamptz, memo from e
), new_postings as (
  insert into postings (entry_id, account, asset, amount, card_id, business_date, entry_kind)
  select e.entry_id, l.account, e.asset, l.amount, l.card_id, $2::date, $1::text
  from e cross join lateral (values
    ('card:' || e.card_id || ':value', e.amount, e.card_id),
    (e.counter_account, -e.amount, null::bigint)) as l(account, amount, card_id)
)
select ord, entry_id, amount from e order by ord`;

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
with e as materialized (
  select s.*, nextval(pg_get_serial_sequence('entries', 'id')) as entry_id
  from (select * from $source order by account, counter_account, asset) s
), new_entries as (
  insert into entries (id, kind, business_date, occurred_at, memo)
  select entry_id, $1::text, $2::date, $3::timestamptz, memo from e
), new_postings as (
  insert into postings (entry_id, account, asset, amount, business_date, entry_kind)
  select e.entry_id, l.account, e.asset, l.amount, $2::date, $1::text
  from e cross join lateral (values (e.account, e.amount), (e.counter_account, -e.amount)) as l(account, amount)
)
select count(*)::int as n from e`;
