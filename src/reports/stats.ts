import type { Context } from '../context.js';
import type { CsvShape } from './csv.js';
import { dateRange } from './options.js';

/** Counts and amounts of one business date, message type, merchant and asset. */
export interface StatsRow {
  business_date: string;
  type: string;
  /** Merchant code; empty when the message named none or an unknown one. */
  merchant: string;
  /** Currency or PTS:<scheme>; empty when the message was declined before its card was known. */
  asset: string;
  /** Processed messages, approved or declined. */
  count: number;
  approved_count: number;
  /** Sum of approved amounts (minor units, or points for points types), voided/reversed ones included. */
  approved_amount: number;
  declined_count: number;
  /** Approved messages voided or reversed later, and their amount. */
  undone_count: number;
  undone_amount: number;
}

export interface StatsReport {
  from: string | null;
  to: string | null;
  rows: StatsRow[];
  /** Per business date, all types and merchants together. */
  days: { business_date: string; count: number; approved_count: number; declined_count: number }[];
}

export const STATS_CSV: CsvShape = {
  columns: ['business_date', 'type', 'merchant', 'asset', 'count', 'approved_count', 'approved_amount', 'declined_count', 'undone_count', 'undone_amount'],
  amounts: new Set(['count', 'approved_count', 'approved_amount', 'declined_count', 'undone_count', 'undone_amount']),
};

// One GROUP BY over the processed messages of the range (the business_date index bounds it).
const STATS_SQL = `
  select t.business_date::text as business_date, t.type, coalesce(m.code, '') as merchant, coalesce(t.asset, '') as asset,
         count(*)::int as count,
         count(*) filter (where t.approved)::int as approved_count,
         coalesce(sum(t.amount_approved) filter (where t.approved), 0)::bigint as approved_amount,
         count(*) filter (where not t.approved)::int as declined_count,
         count(*) filter (where t.status in ('voided', 'reversed'))::int as undone_count,
         coalesce(sum(t.amount_approved) filter (where t.status in ('voided', 'reversed')), 0)::bigint as undone_amount
  from transactions t
  left join merchants m on m.id = t.merchant_id
  where t.status not in ('pending', 'marker')
    and ($1::date is null or t.business_date >= $1::date) and ($2::date is null or t.business_date <= $2::date)
    and ($3::bigint is null or t.merchant_id = $3::bigint)
  group by t.business_date, t.type, m.code, t.asset
  order by 1, 2, 3, 4`;

/**
 * `purse report stats [--from D] [--to D]`: counts and amounts of processed messages by business
 * date, type and merchant (and asset, so amounts of different currencies or schemes never add up),
 * with per-date totals; `merchantId` narrows it to one merchant's messages. Read only.
 */
export async function statsReport(ctx: Context, opts: { from?: unknown; to?: unknown; merchantId?: number | null }): Promise<StatsReport> {
  const { from, to } = dateRange(opts.from, opts.to);
  const { rows } = await ctx.db.pg.query<StatsRow>(STATS_SQL, [from, to, opts.merchantId ?? null]);
  const days = new Map<string, StatsReport['days'][number]>();
  for (const r of rows) {
    const d = days.get(r.business_date) ?? { business_date: r.business_date, count: 0, approved_count: 0, declined_count: 0 };
    d.count += r.count;
    d.approved_count += r.approved_count;
    d.declined_count += r.declined_count;
    days.set(r.business_date, d);
  }
  return { from, to, rows, days: [...days.values()] };
}
