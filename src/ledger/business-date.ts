import type { Queryable } from './post.js';
import { businessDateOf, type Calendar } from './calendar.js';

/**
 * The open business date to stamp a posting made at `at` with (design §4 "Closing a business
 * date"): the date of `at`, or the next open one if that is closed. Holds a shared advisory lock
 * on the returned date until the transaction ends, so settlement waits for in-flight postings.
 * Must run inside a transaction.
 */
export async function openBusinessDate(db: Queryable, at: Date, cal: Calendar): Promise<string> {
  const { rows } = await db.query<{ d: string }>({
    name: 'ledger_open_business_date',
    text: 'select open_business_date($1::date) as d',
    values: [businessDateOf(at, cal)],
  });
  return rows[0]!.d;
}
