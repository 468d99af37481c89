import type { Context } from '../context.js';
import type { CsvShape } from './csv.js';
import { requiredRange } from './options.js';

/** One fee line: a party's commission or channel fees of one business date and currency. */
export interface FeeLine {
  business_date: string;
  /** `merchant`: commission the merchant pays the platform; `channel`: fees the platform pays the channel. */
  party_type: 'merchant' | 'channel';
  party: string;
  party_name: string;
  currency: string;
  /** Fee legs charged (purchases, captures, loads, … of the date) and their sum, minor units. */
  charged_count: number;
  charged_amount: number;
  /** Fee legs given back (refunds, voids, reversals) and their sum, minor units (positive). */
  returned_count: number;
  returned_amount: number;
  /** charged_amount − returned_amount. */
  net_amount: number;
}

export interface FeesReport {
  from: string;
  to: string;
  rows: FeeLine[];
  /** Net fees per party type and currency over the range. */
  totals: { party_type: 'merchant' | 'channel'; currency: string; net_amount: number }[];
}

export const FEES_CSV: CsvShape = {
  columns: ['business_date', 'party_type', 'party', 'party_name', 'currency', 'charged_count', 'charged_amount', 'returned_count', 'returned_amount', 'net_amount'],
  amounts: new Set(['charged_count', 'charged_amount', 'returned_count', 'returned_amount', 'net_amount']),
};

// Fees are posted with their transaction (design §4), so the report is aggregation over the fee
// legs of the range: revenue:merchant_commission legs (+f charged, −f given back by a refund, void
// or reversal) attributed to the entry's merchant, and revenue:channel_fees legs (−c charged, +c
// given back by a reversal) to the entry's channel. The (business_date, account) index finds them
// without reading the card and party legs of the same entries.
const FEES_SQL = `
  select p.business_date::text as business_date, 'merchant' as party_type,
         coalesce(m.code, '') as party, coalesce(m.name, '') as party_name, p.asset as currency,
         count(*) filter (where p.amount > 0)::int as charged_count,
         coalesce(sum(p.amount) filter (where p.amount > 0), 0)::bigint as charged_amount,
         count(*) filter (where p.amount < 0)::int as returned_count,
         coalesce(-sum(p.amount) filter (where p.amount < 0), 0)::bigint as returned_amount,
         sum(p.amount)::bigint as net_amount
  from postings p
  join entries e on e.id = p.entry_id
  left join merchants m on m.id = e.merchant_id
  where p.business_date between $1::date and $2::date and p.account = 'revenue:merchant_commission'
  group by p.business_date, m.code, m.name, p.asset
  union all
  select p.business_date::text, 'channel',
         coalesce(c.code, ''), coalesce(c.name, ''), p.asset,
         count(*) filter (where p.amount < 0)::int,
         coalesce(-sum(p.amount) filter (where p.amount < 0), 0)::bigint,
         count(*) filter (where p.amount > 0)::int,
         coalesce(sum(p.amount) filter (where p.amount > 0), 0)::bigint,
         (-sum(p.amount))::bigint
  from postings p
  join entries e on e.id = p.entry_id
  left join channels c on c.id = e.channel_id
  where p.business_date between $1::date and $2::date and p.account = 'revenue:channel_fees'
  group by p.business_date, c.code, c.name, p.asset
  order by business_date, party_type desc, party, currency`;

/**
 * `purse report fees --from D1 --to D2`: fee lines per merchant (commission) and per channel
 * (channel fees) for each business date of the range, from the posted fee legs; amounts in minor
 * units, from the fee's point of view (positive = charged). Read only.
 */
export async function feesReport(ctx: Context, opts: { from: unknown; to: unknown }): Promise<FeesReport> {
  const { from, to } = requiredRange(opts.from, opts.to);
  const { rows } = await ctx.db.pg.query<FeeLine>(FEES_SQL, [from, to]);
  const totals = new Map<string, FeesReport['totals'][number]>();
  for (const r of rows) {
    const key = `${r.party_type}\u0000${r.currency}`;
    const t = totals.get(key) ?? { party_type: r.party_type, currency: r.currency, net_amount: 0 };
    t.net_amount += r.net_amount;
    totals.set(key, t);
  }
  return { from, to, rows, totals: [...totals.values()].sort((a, b) => (b.party_type.localeCompare(a.party_type)) || a.currency.localeCompare(b.currency)) };
}
