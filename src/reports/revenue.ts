import type { Context } from '../context.js';
import type { RevenueKind } from '../ledger/accounts.js';
import type { CsvShape } from './csv.js';
import { monthOption } from './options.js';

/** The revenue kinds of design §4, in report order. */
export const REVENUE_KINDS: readonly RevenueKind[] = [
  'merchant_commission', 'channel_fees', 'card_fees', 'dormancy_fees', 'breakage', 'points_spread', 'points_breakage', 'lottery',
];

/** One business date's revenue in one currency: a column per kind (minor units, signed) and their total. */
export type RevenueRow = { business_date: string; currency: string } & Record<RevenueKind, number> & { total: number };

export interface RevenueReport {
  month: string;
  from: string;
  to: string;
  kinds: readonly RevenueKind[];
  /** Dates with any revenue posting, in order. */
  rows: RevenueRow[];
  /** The month per currency. */
  totals: ({ currency: string } & Record<RevenueKind, number> & { total: number })[];
}

export const REVENUE_CSV: CsvShape = {
  columns: ['business_date', 'currency', ...REVENUE_KINDS, 'total'],
  amounts: new Set([...REVENUE_KINDS, 'total']),
};

// Revenue is the balance movement of the operator's revenue:<kind> accounts (design §4): each
// account's postings of the month summed per date and currency. The accounts are named exactly, so
// the (business_date, account) index serves the scan. Channel fees are a cost: their sum is
// negative. Revaluations posted by settlement land in points_spread like any other entry.
const REVENUE_SQL = `
  select p.business_date::text as business_date, p.asset as currency, substr(p.account, 9) as kind, sum(p.amount)::bigint as amount
  from postings p
  where p.business_date between $1::date and $2::date and p.account = any($3::text[])
  group by p.business_date, p.asset, p.account
  order by 1, 2`;

function emptyKinds(): Record<RevenueKind, number> {
  return Object.fromEntries(REVENUE_KINDS.map((k) => [k, 0])) as Record<RevenueKind, number>;
}

/**
 * `purse report revenue --month YYYY-MM`: the operator's revenue by kind for each business date
 * of the month with revenue postings, and the month's totals; signed minor units (channel fees
 * negative: a cost; lottery negative when prizes exceed stakes). Read only.
 */
export async function revenueReport(ctx: Context, opts: { month: unknown }): Promise<RevenueReport> {
  const { month, from, to } = monthOption(opts.month);
  const { rows } = await ctx.db.pg.query<{ business_date: string; currency: string; kind: RevenueKind; amount: number }>(
    REVENUE_SQL, [from, to, REVENUE_KINDS.map((k) => `revenue:${k}`)]);
  const byDate = new Map<string, RevenueRow>();
  const totals = new Map<string, RevenueReport['totals'][number]>();
  for (const r of rows) {
    const key = `${r.business_date}\u0000${r.currency}`;
    const row = byDate.get(key) ?? { business_date: r.business_date, currency: r.currency, ...emptyKinds(), total: 0 };
    row[r.kind] += r.amount;
    row.total += r.amount;
    byDate.set(key, row);
    const t = totals.get(r.currency) ?? { currency: r.currency, ...emptyKinds(), total: 0 };
    t[r.kind] += r.amount;
    t.total += r.amount;
    totals.set(r.currency, t);
  }
  return {
    month, from, to, kinds: REVENUE_KINDS,
    rows: [...byDate.values()],
    totals: [...totals.values()].sort((a, b) => a.currency.localeCompare(b.currency)),
  };
}
