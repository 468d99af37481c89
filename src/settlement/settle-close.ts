/**
 * Closing a business date (design §4 "Closing a business date") and the order dates settle in.
 */
import type { Queryable } from '../ledger/post.js';
import { InputError } from '../errors.js';

/** Advisory lock (class 7218, key 1) serialising settlement runs: one settles at a time. */
export const SETTLE_LOCK_SQL = 'select pg_advisory_xact_lock(7218, 1)';

/**
 * Refuses to settle `date` while an earlier date with postings is not settled (ordering decision:
 * refuse, never settle several dates in one run). Dates before the latest settled one are settled
 * or empty, so only postings dated after it and before `date` are looked at (index on
 * postings(business_date, account)).
 */
export async function checkEarlierDatesSettled(db: Queryable, date: string): Promise<void> {
  const { rows: [row] } = await db.query<{ pending: string | null; open: boolean }>(`
    with last as (select max(business_date) as d from settlements where business_date < $1::date)
    select x.pending, not exists (select 1 from business_dates b where b.business_date = x.pending) as open
    from (select min(p.business_date) as pending from postings p, last
          where p.business_date < $1::date and p.business_date > coalesce(last.d, '-infinity'::date)) x`, [date]);
  if (row?.pending) {
    throw new InputError('earlier_date_unsettled',
      `business date ${row.pending} has postings and is ${row.open ? 'still open' : 'closed but not settled'}; settle it before ${date}`, 'date');
  }
}

/**
 * Step 1 of a settlement, in its own transaction: takes the exclusive lock of `date` and of every
 * open date between the last settled date and `date` (each waits for the postings in flight that
 * hold its shared lock), checks the order, and marks them closed. Once this commits, postings for
 * these dates go to the next open date (open_business_date). The empty dates in between are closed
 * too, so a late posting can never land behind a settled date. Idempotent: closed dates stay closed.
 */
export async function closeBusinessDate(db: Queryable, date: string): Promise<void> {
  // Locks in ascending date order, the order open_business_date walks dates in.
  await db.query(`
    with last as (select max(business_date) as d from settlements where business_date < $1::date)
    select pg_advisory_xact_lock(7216, business_date_key(g::date))
    from last, generate_series(coalesce(last.d + 1, $1::date), $1::date, interval '1 day') g
    order by g`, [date]);
  await checkEarlierDatesSettled(db, date);
  await db.query(`
    with last as (select max(business_date) as d from settlements where business_date < $1::date)
    insert into business_dates (business_date, closed_at)
    select g::date, now() from last, generate_series(coalesce(last.d + 1, $1::date), $1::date, interval '1 day') g
    on conflict (business_date) do nothing`, [date]);
}
