import type pg from 'pg';
import type { Entry } from './entry.js';
import { cardIdOf } from './accounts.js';

export type Queryable = Pick<pg.ClientBase, 'query'>;

/**
 * Posts balanced entries on `businessDate` in ONE statement: allocates entry ids, inserts the
 * entries and all their postings, and applies the card legs to card_accounts in place (creating a
 * points account on its first credit). Each posting carries copies of its entry's kind, date,
 * merchant and channel and of its memo's `scheme` and `reverses` (what a void or reversal undoes),
 * which settlement aggregates by (migrations 000090, 000100). The card_accounts CHECKs refuse a
 * negative balance and the postings trigger refuses an unbalanced entry, so a buggy caller cannot
 * commit either.
 * Callers check balances first (under row locks) to decline cleanly. Entries go on `businessDate`
 * (from openBusinessDate) unless they name their own (which the caller must have locked with
 * lock_business_date_if_open). Returns the entry ids in order.
 */
export async function postEntries(db: Queryable, businessDate: string, entries: readonly Entry[]): Promise<number[]> {
  if (entries.length === 0) return [];
  const { rows } = await db.query<{ id: number }>({ name: 'ledger_post_entries', text: POST_SQL, values: postEntriesValues(businessDate, entries) });
  return rows.map((r) => r.id);
}

/**
 * The parameters of POST_SQL for `entries` (postEntries binds them; the daemon's batch write step
 * runs the same statement as a SQL-level prepared statement, see daemon/fused.ts). `ids`: the
 * entries' ids, when the caller took them from the sequence ahead (null elements: taken when posted).
 */
export function postEntriesValues(businessDate: string, entries: readonly Entry[], ids: readonly (number | null)[] | null = null): unknown[] {
  const kinds: string[] = [], dates: string[] = [], occurred: Date[] = [], txns: (number | null)[] = [], merchants: (number | null)[] = [];
  const channels: (number | null)[] = [], reverses: (number | null)[] = [], memos: (string | null)[] = [];
  const pOrd: number[] = [], pAccount: string[] = [], pAsset: string[] = [], pAmount: number[] = [], pCard: (number | null)[] = [];
  entries.forEach((e, i) => {
    kinds.push(e.kind);
    dates.push(e.businessDate ?? businessDate);
    occurred.push(e.occurredAt);
    txns.push(e.transactionId ?? null);
    merchants.push(e.merchantId ?? null);
    channels.push(e.channelId ?? null);
    reverses.push(e.reversesEntryId ?? null);
    memos.push(e.memo ? JSON.stringify(e.memo) : null);
    for (const p of e.postings) {
      pOrd.push(i + 1);
      pAccount.push(p.account);
      pAsset.push(p.asset);
      pAmount.push(p.amount);
      pCard.push(cardIdOf(p.account));
    }
  });
  return [entries.length, kinds, dates, occurred, txns, merchants, channels, reverses, memos, pOrd, pAccount, pAsset, pAmount, pCard, ids];
}

// Ids come from the identity sequence up front (or are given, $15) so postings can name their entry
// in the same statement (the sequence is resolved once, not per entry); the card upsert sums legs
// per (card, asset) so one statement may move a card twice.
export const POST_SQL = `
with seq as materialized (
  select pg_get_serial_sequence('entries', 'id')::regclass as s
), ids as (
  select ord, coalesce(($15::bigint[])[ord], nextval(seq.s)) as id
  from seq, generate_series(1, $1::int) as ord
), e as (
  select ids.id, x.*
  from unnest($2::text[], $3::date[], $4::timestamptz[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::jsonb[])
       with ordinality as x(kind, business_date, occurred_at, transaction_id, merchant_id, channel_id, reverses_entry_id, memo, ord)
  join ids using (ord)
), new_entries as (
  insert into entries (id, kind, business_date, occurred_at, transaction_id, merchant_id, channel_id, reverses_entry_id, memo)
  select id, kind, business_date, occurred_at, transaction_id, merchant_id, channel_id, reverses_entry_id, memo from e
), legs as (
  select * from unnest($10::int[], $11::text[], $12::text[], $13::bigint[], $14::bigint[])
       as l(ord, account, asset, amount, card_id)
), new_postings as (
  insert into postings (entry_id, account, asset, amount, card_id, business_date, entry_kind, merchant_id, channel_id, scheme, reverses_kind)
  select e.id, legs.account, legs.asset, legs.amount, legs.card_id, e.business_date, e.kind, e.merchant_id, e.channel_id,
         e.memo->>'scheme', e.memo->>'reverses'
  from legs join e using (ord)
), card_sums as (
  select card_id, asset, sum(amount) as amount from legs where card_id is not null group by card_id, asset
), card_updates as (
  update card_accounts ca set balance = ca.balance + s.amount
  from card_sums s where ca.card_id = s.card_id and ca.asset = s.asset
  returning ca.card_id, ca.asset
), card_inserts as (
  -- Only an account's first credit inserts: PostgreSQL checks CHECK constraints on the proposed
  -- row before ON CONFLICT, so a debit routed through an upsert would fail balance >= 0.
  insert into card_accounts as ca (card_id, asset, balance)
  select s.card_id, s.asset, s.amount from card_sums s
  where not exists (select 1 from card_updates u where u.card_id = s.card_id and u.asset = s.asset)
  on conflict (card_id, asset) do update set balance = ca.balance + excluded.balance
)
select id from ids order by ord`;
