/**
 * The pass over a business date's postings that settlement needs (design §4 "Hot accounts":
 * party balances are computed by aggregation), and the file rows derived from it.
 */
import pg from 'pg';
import type { Queryable } from '../ledger/post.js';
import { pgTypes } from '../db/pool.js';
import { InvariantError } from '../errors.js';

/** Name of the transaction-scoped temporary table `aggregateDate` fills. */
export const AGG = 'settle_agg';

// One part of the date's postings, grouped to a few thousand rows:
//   acct       the account, every card account folded into 'card';
//   cat        the business category of the leg's entry: a void or reversal takes its original's
//              kind (so a voided purchase and its void net out in the purchase columns), a
//              claw-back is a (negative) points_earn, capture a purchase, activate a load,
//              breakage_reversal a (negative) breakage;
//   merchant_id / channel_id of the entry, kept on card legs (transaction counts) and commission legs;
//   scheme     code of the points scheme of a points entry (merchant-points file), from the entry
//              memo (its original's for a void or claw-back), on its merchant legs;
//   counted    on card legs: 'live' or 'voided' for a counted transaction (one card leg per
//              entry; of a points exchange's two, the debit), null otherwise; voids, reversals,
//              claw-backs and goods-prize entries are never counted, reversed originals neither;
//   legs       number of legs: PART_SQL returns every group as 'live' with its count of counted legs
//              (a count, not a grouping key), UNDO_SQL's corrections move some to 'voided' or none.
// Postings carry their entry's kind, merchant and channel (migrations 000003, 000090), so the bulk
// of the date is one GROUP BY over its postings with no join (joining ~5 postings per entry to
// the entries cost 3-4× the aggregation). Only a few facts need the entry: the scheme of a points
// entry's merchant leg (grouped here by entry id, then looked up among the part's points entries)
// and, in UNDO_SQL, what voids, reversals and claw-backs (~2% of entries) undo. Settlement
// entries of the date are excluded (design §4: stamped D, not part of D's aggregation). $2..$3
// bound the entry ids: settlement runs one such part per connection.
const PART_SQL = `
with m as (
  -- ref is two facts in one grouping key (fewer keys, a cheaper hash): the merchant of a card or
  -- commission leg, or the entry of a points entry's merchant leg (whose account names the merchant).
  select case when p.card_id is not null then 'card' else p.account end as acct, p.asset, p.entry_kind as kind,
         case when p.card_id is not null or p.account = 'revenue:merchant_commission' then p.merchant_id
              when p.entry_kind in ('points_earn', 'points_redeem', 'points_load') and p.account like 'merchant:%' then p.entry_id end as ref,
         case when p.card_id is not null then p.channel_id end as channel_id,
         sum(p.amount)::bigint as amount,
         count(*) filter (where p.card_id is not null and (p.merchant_id is not null or p.channel_id is not null)
           and p.entry_kind not in ('lottery_prize', 'breakage_reversal') and not (p.entry_kind = 'points_exchange' and p.amount > 0))::bigint as live
  from postings p
  where p.business_date = $1::date and p.entry_id between $2 and $3
    and p.entry_kind not in ('settlement', 'void', 'reversal', 'points_clawback')
  group by 1, 2, 3, 4, 5
)
select m.acct, m.asset, ${catOf('m.kind')} as cat, case when m.acct not like 'merchant:%' then m.ref end as merchant_id, m.channel_id,
       e.scheme, 'live' as counted, sum(m.amount)::bigint as amount, sum(m.live)::bigint as legs
from m left join (
  select id, memo->>'scheme' as scheme from entries
  where business_date = $1::date and id between $2 and $3 and kind in ('points_earn', 'points_redeem', 'points_load')
) e on e.id = m.ref and m.acct like 'merchant:%'
group by 1, 2, 3, 4, 5, 6, 7`;

// What PART_SQL leaves out or counts as live, from the date's voids, reversals and claw-backs
// (their partial index; ~2% of entries) and the postings of their entries (postings_entry index):
// 1. the legs of the part's voids, reversals and claw-backs, in their original's category and
//    (points) scheme, never counted;
// 2. for the part's originals undone on the date, the card legs PART_SQL counted as live, moved to
//    'voided' (a void: the channel's fee stays) or to uncounted (a reversal; either if both).
const UNDO_SQL = `
with u as (
  select y.id, y.kind, o.kind as orig_kind, coalesce(o.memo->>'scheme', y.memo->>'scheme') as scheme
  from entries y
  -- one primary-key probe per undo entry: \`offset 0\` keeps PostgreSQL from turning this into a hash
  -- join that reads every entry (1.8 s at 1,000,000 transactions)
  left join lateral (select o.kind, o.memo from entries o where o.id = y.reverses_entry_id offset 0) o on true
  where y.business_date = $1::date and y.kind in ('void', 'reversal', 'points_clawback') and y.id between $2 and $3
), k as (
  select u.id, u.scheme, case when u.kind in ('void', 'reversal') then coalesce(u.orig_kind, u.kind) else u.kind end as k from u
), w as (
  select reverses_entry_id as orig_id, min(kind) as kind
  from entries where business_date = $1::date and kind in ('void', 'reversal') and reverses_entry_id between $2 and $3
  group by reverses_entry_id
)
select case when p.card_id is not null then 'card' else p.account end as acct, p.asset, ${catOf('k.k')} as cat,
       case when p.card_id is not null or p.account = 'revenue:merchant_commission' then p.merchant_id end as merchant_id,
       case when p.card_id is not null then p.channel_id end as channel_id,
       case when p.account like 'merchant:%' and k.k in ('points_earn', 'points_redeem', 'points_load', 'points_clawback') then k.scheme end as scheme,
       null as counted, sum(p.amount)::bigint as amount, count(*)::bigint as legs
from k join postings p on p.entry_id = k.id
where p.business_date = $1::date
group by 1, 2, 3, 4, 5, 6
union all
select 'card', p.asset, ${catOf('p.entry_kind')}, p.merchant_id, p.channel_id, null, c.counted, 0, sum(c.legs)::bigint
from w join postings p on p.entry_id = w.orig_id
cross join lateral (values ('live', -1), (case when w.kind = 'void' then 'voided' end, 1)) as c(counted, legs)
where p.business_date = $1::date and p.card_id is not null and (p.merchant_id is not null or p.channel_id is not null)
  and p.entry_kind not in ('settlement', 'void', 'reversal', 'points_clawback', 'lottery_prize', 'breakage_reversal')
  and not (p.entry_kind = 'points_exchange' and p.amount > 0)
group by 1, 2, 3, 4, 5, 6, 7`;

/** SQL mapping an entry kind to the settlement category of its legs (see PART_SQL). */
function catOf(kind: string): string {
  return `case ${kind} when 'capture' then 'purchase' when 'activate' then 'load' when 'points_clawback' then 'points_earn'
    when 'breakage_reversal' then 'breakage' else ${kind} end`;
}

/** One part of the aggregation, on a connection of its own, in a read-only transaction. */
async function aggregatePart(url: string, date: string, lo: number, hi: number): Promise<PartRow[]> {
  const c = new pg.Client({ connectionString: url, types: pgTypes, application_name: 'purse-settle' });
  c.on('error', () => undefined); // a dropped connection fails the query instead
  await c.connect();
  try {
    await c.query('begin read only');
    await c.query(`set local work_mem = '${SETTLE_WORK_MEM}'`);
    await c.query('set local max_parallel_workers_per_gather = 0');
    // The planner cannot see that the CASE keys fold ~100,000 card accounts into 'card': it expects
    // millions of groups and would sort every leg (3× slower at 1,000,000 transactions) instead of
    // hashing them into the few thousand there are.
    await c.query('set local enable_sort = off');
    const { rows: undo } = await c.query<PartRow>(UNDO_SQL, [date, lo, hi]);
    // The date's postings of the part are a range of postings_entry; read as a bitmap (heap pages
    // in order) rather than an index scan row by row: about 3× faster at 1,000,000 transactions.
    await c.query('set local enable_indexscan = off');
    const { rows } = await c.query<PartRow>(PART_SQL, [date, lo, hi]);
    await c.query('commit');
    return [...rows, ...undo];
  } finally {
    await c.end();
  }
}

interface PartRow {
  acct: string; asset: string; cat: string; merchant_id: number | null; channel_id: number | null; scheme: string | null;
  counted: 'live' | 'voided' | null; amount: number; legs: number;
}

// settle_agg: the parts merged, with the transaction counts as columns.
const MERGE_SQL = `
create temporary table ${AGG} on commit drop as
select acct, asset, cat, merchant_id, channel_id, scheme, sum(amount)::bigint as amount,
       coalesce(sum(legs) filter (where counted = 'live'), 0)::bigint as n_live,
       coalesce(sum(legs) filter (where counted = 'voided'), 0)::bigint as n_voided
from unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::bigint[], $9::bigint[])
  as r(acct, asset, cat, merchant_id, channel_id, scheme, counted, amount, legs)
group by acct, asset, cat, merchant_id, channel_id, scheme`;

/** work_mem of each aggregation part: its groups and points entries stay in in-memory hashes (never spill to disk). */
export const SETTLE_WORK_MEM = '256MB';

/** Parts the aggregation is split into, each on its own connection (the design machine has 2 cores). */
export const SETTLE_PARTS = 2;

/** Sum of the date's postings per asset (settlement entries excluded): all zero when the date balances. */
export interface DateTotals { assetTotals: Record<string, number>; balanced: boolean }

/**
 * Aggregates business date `date` into the temporary table `settle_agg` of `client`'s transaction
 * (dropped at commit) and returns its totals per asset. The date must be closed (its postings are
 * final), so the parts may read it outside that transaction: the date's entry ids are split into
 * SETTLE_PARTS ranges, aggregated at once on connections of their own to `url` (never the pool,
 * which may hold a single connection), each serially (parallel query off), and merged.
 */
export async function aggregateDate(url: string, client: Queryable, date: string): Promise<DateTotals> {
  const { rows: [range] } = await client.query<{ lo: number | null; hi: number | null }>(
    'select min(id) as lo, max(id) as hi from entries where business_date = $1', [date]);
  const parts: PartRow[][] = [];
  if (range?.lo != null && range.hi != null) {
    const { lo, hi } = range;
    const step = Math.ceil((hi - lo + 1) / SETTLE_PARTS);
    const bounds = Array.from({ length: SETTLE_PARTS }, (_, i) => [lo + i * step, Math.min(hi, lo + (i + 1) * step - 1)] as const)
      .filter(([a, b]) => a <= b);
    parts.push(...await Promise.all(bounds.map(([a, b]) => aggregatePart(url, date, a, b))));
  }
  const rows = parts.flat();
  const col = <K extends keyof PartRow>(k: K) => rows.map((r) => r[k]);
  await client.query(MERGE_SQL, [col('acct'), col('asset'), col('cat'), col('merchant_id'), col('channel_id'), col('scheme'),
    col('counted'), col('amount'), col('legs')]);
  await client.query(`analyze ${AGG}`);
  const { rows: missing } = await client.query<{ acct: string }>(`
    select acct from ${AGG} where acct like 'merchant:%' and cat in ('points_earn', 'points_redeem', 'points_load') and scheme is null limit 1`);
  if (missing.length > 0) {
    throw new InvariantError('settle_points_scheme', `${missing[0]!.acct}: a points entry of the date names no scheme in its memo; cannot attribute its money to a scheme`);
  }
  const { rows: totals } = await client.query<{ asset: string; total: number }>(`
    select asset, sum(amount)::bigint as total from ${AGG} group by asset order by asset collate "C"`);
  return { assetTotals: Object.fromEntries(totals.map((r) => [r.asset, r.total])), balanced: totals.every((r) => r.total === 0) };
}

// Merchant rows (design §6 merchants file), from the party's side: amounts the merchant is owed
// are positive where the column means money to the merchant (purchases, redemptions, prizes) and
// amounts it owes are positive where the column means money from it (refunds, loads, commission,
// points funding and sales); net_amount is the signed sum of its postings.
const MERCHANTS_SQL = `
insert into settlement_merchants (business_date, merchant_id, merchant_code, merchant_name, currency, purchase_count, purchase_amount,
  refund_count, refund_amount, load_count, load_amount, commission, points_funding, points_redemption_amount, points_sales_amount,
  prize_amount, net_amount)
with r as (
  select coalesce(merchant_id, substr(acct, 10)::bigint) as merchant_id, asset as currency, acct, cat, amount, n_live
  from ${AGG}
  where asset not like 'PTS:%' and (acct like 'merchant:%' or (acct in ('card', 'revenue:merchant_commission') and merchant_id is not null))
)
select $1::date, m.id, m.code, m.name, r.currency,
  coalesce(sum(n_live) filter (where acct = 'card' and cat = 'purchase'), 0),
  coalesce(sum(amount) filter (where acct <> 'card' and cat = 'purchase'), 0),
  coalesce(sum(n_live) filter (where acct = 'card' and cat = 'refund'), 0),
  coalesce(-sum(amount) filter (where acct <> 'card' and cat = 'refund'), 0),
  coalesce(sum(n_live) filter (where acct = 'card' and cat = 'load'), 0),
  coalesce(-sum(amount) filter (where acct like 'merchant:%' and cat = 'load'), 0),
  coalesce(sum(amount) filter (where acct = 'revenue:merchant_commission'), 0),
  coalesce(-sum(amount) filter (where acct like 'merchant:%' and cat = 'points_earn'), 0),
  coalesce(sum(amount) filter (where acct like 'merchant:%' and cat = 'points_redeem'), 0),
  coalesce(-sum(amount) filter (where acct like 'merchant:%' and cat = 'points_load'), 0),
  coalesce(sum(amount) filter (where acct like 'merchant:%' and cat = 'lottery_prize'), 0),
  coalesce(sum(amount) filter (where acct like 'merchant:%'), 0)
from r join merchants m on m.id = r.merchant_id
group by m.id, m.code, m.name, r.currency`;

const MERCHANT_POINTS_SQL = `
insert into settlement_merchant_points (business_date, merchant_id, merchant_code, scheme_id, scheme_code, points_issued, points_funding,
  points_redeemed, points_redemption_amount, points_sold, points_sales_amount)
with r as (
  select coalesce(merchant_id, substr(acct, 10)::bigint) as merchant_id, coalesce(scheme, substr(asset, 5)) as scheme, acct, cat, amount
  from ${AGG}
  where cat in ('points_earn', 'points_redeem', 'points_load')
    and ((acct = 'card' and asset like 'PTS:%' and merchant_id is not null) or (acct like 'merchant:%' and scheme is not null))
)
select $1::date, m.id, m.code, s.id, s.code,
  coalesce(sum(amount) filter (where acct = 'card' and cat = 'points_earn'), 0),
  coalesce(-sum(amount) filter (where acct <> 'card' and cat = 'points_earn'), 0),
  coalesce(-sum(amount) filter (where acct = 'card' and cat = 'points_redeem'), 0),
  coalesce(sum(amount) filter (where acct <> 'card' and cat = 'points_redeem'), 0),
  coalesce(sum(amount) filter (where acct = 'card' and cat = 'points_load'), 0),
  coalesce(-sum(amount) filter (where acct <> 'card' and cat = 'points_load'), 0)
from r join merchants m on m.id = r.merchant_id join schemes s on s.code = r.scheme
group by m.id, m.code, s.id, s.code`;

// A channel's transactions are counted in the currency they moved: their own for stored value,
// the scheme's for points (whose card legs are in points).
const CHANNELS_SQL = `
insert into settlement_channels (business_date, channel_id, channel_code, currency, txn_count, fee_amount, net_amount)
with r as (
  select coalesce(a.channel_id, substr(a.acct, 9)::bigint) as channel_id, coalesce(s.currency, a.asset) as currency, a.acct,
         a.amount, a.n_live + a.n_voided as n
  from ${AGG} a left join schemes s on a.asset = 'PTS:' || s.code
  where a.acct like 'channel:%' or (a.acct = 'card' and a.channel_id is not null)
)
select $1::date, c.id, c.code, r.currency,
  coalesce(sum(n) filter (where acct = 'card'), 0),
  coalesce(sum(amount) filter (where acct <> 'card'), 0),
  coalesce(sum(amount) filter (where acct <> 'card'), 0)
from r join channels c on c.id = r.channel_id
group by c.id, c.code, r.currency
having sum(n) filter (where acct = 'card') > 0 or count(*) filter (where acct <> 'card') > 0`;

const ISSUERS_SQL = `
insert into settlement_issuers (business_date, issuer_id, issuer_code, currency, load_amount, card_fee_amount, cash_out_amount,
  breakage_amount, net_amount)
select $1::date, i.id, i.code, a.asset,
  coalesce(-sum(a.amount) filter (where a.cat = 'bulk_load'), 0),
  coalesce(-sum(a.amount) filter (where a.cat = 'card_fee'), 0),
  coalesce(sum(a.amount) filter (where a.cat = 'cash_out'), 0),
  coalesce(sum(a.amount) filter (where a.cat = 'breakage'), 0),
  coalesce(sum(a.amount), 0)
from ${AGG} a join issuers i on i.id = substr(a.acct, 8)::bigint
where a.acct like 'issuer:%'
group by i.id, i.code, a.asset`;

/** Stores the file rows of `date` from `settle_agg` (the `settlements` row must exist first). */
export async function storeFileRows(db: Queryable, date: string): Promise<void> {
  for (const sql of [MERCHANTS_SQL, MERCHANT_POINTS_SQL, CHANNELS_SQL, ISSUERS_SQL]) await db.query(sql, [date]);
}

