/**
 * The pass over a business date's postings that settlement needs (design §4 "Hot accounts":
 * party balances are computed by aggregation), and the file rows derived from it.
 */
import type { Queryable } from '../ledger/post.js';
import { InvariantError } from '../errors.js';

/** Name of the transaction-scoped temporary table `aggregateDate` fills. */
export const AGG = 'settle_agg';

// A card leg that counts as a transaction (if its original is not voided or reversed on the date):
// of a merchant's or channel's entry, one per entry (of a points exchange's two card legs, the
// debit), never of a kind entry_kinds marks not counted ($4: void, reversal, claw-back, goods prize,
// breakage reversal).
const COUNTED = `p.card_id is not null and (p.merchant_id is not null or p.channel_id is not null)
  and p.entry_kind <> all($4::text[])
  and not (p.entry_kind = 'points_exchange' and p.amount > 0)`;

// The date's postings grouped to a few thousand rows (settle_agg):
//   acct       the account, every card account folded into 'card';
//   cat        the settlement category of the leg's entry (entry_kinds.category): a void or reversal
//              takes the kind of the entry it undoes (so a voided purchase and its void net out in
//              the purchase columns), a claw-back is a (negative) points_earn, capture a purchase,
//              activate a load, breakage_reversal a (negative) breakage;
//   merchant_id / channel_id of the entry, kept on card legs (transaction counts) and commission legs;
//   scheme     code of the points scheme of a points entry (merchant-points file; an undo's is its
//              original's), on its merchant legs;
//   n_live     on card legs: counted transactions (one card leg per entry; of a points exchange's
//              two, the debit); voids, reversals, claw-backs and goods-prize entries are never
//              counted, originals voided or reversed on the date neither;
//   n_voided   on card legs: originals voided (and not reversed) on the date: the channel file
//              counts them (the channel's fee stays).
// Postings carry their entry's kind, merchant and channel, its scheme and, for a void or reversal,
// the kind it undoes (migrations 000003, 000090, 000100), so this is one GROUP BY over the date's
// postings with no join, which PostgreSQL splits among parallel workers as it does a bare GROUP BY
// (and Citus runs on every shard). The card legs of the originals voided or reversed on the date
// (undoneOn: entry ids $2 with their state $3, a few thousand) are then fetched by the postings'
// entry index and moved from live to voided (2) or to neither (3) by rows of zero amount; a lookup
// of those ids per leg would cost more than the scan (PostgreSQL 18 searches an `= any` over a
// constant array linearly in parallel workers), and Citus refuses the subquery in the select list
// that hashed them. Which kinds are not counted ($4) comes from entry_kinds (UNCOUNTED_SQL); the
// category is joined on the few thousand groups. Settlement entries of the date are excluded
// (design §4: stamped D, not part of D's aggregation).
const LEG_KEYS = `case when p.card_id is not null then 'card' else p.account end as acct, p.asset, coalesce(p.reverses_kind, p.entry_kind) as kind,
         case when p.card_id is not null or p.account = 'revenue:merchant_commission' then p.merchant_id end as merchant_id,
         case when p.card_id is not null then p.channel_id end as channel_id,
         case when p.account like 'merchant:%' then p.scheme end as scheme`;
const AGGREGATE_SQL = `
create temporary table ${AGG} on commit drop as
with legs as (
  -- per leg, only what a hash key needs: the category and the scheme's condition are worked out on
  -- the few thousand groups below, not on every leg
  select ${LEG_KEYS},
         -- a card leg counted as a transaction: 1; 0 any other leg (a grouping key: worked out once per leg)
         case when ${COUNTED} then 1 else 0 end as state,
         sum(p.amount)::bigint as amount, count(*)::bigint as legs
  from postings p
  where p.business_date = $1::date and p.entry_kind <> 'settlement'
  group by 1, 2, 3, 4, 5, 6, 7
), undone as (
  -- the counted card legs of the originals voided (2) or reversed (3, either if both) on the date
  select ${LEG_KEYS}, u.state, count(*)::bigint as legs
  from postings p join unnest($2::bigint[], $3::int[]) as u(entry_id, state) on u.entry_id = p.entry_id
  where p.entry_id = any($2::bigint[]) and p.business_date = $1::date and p.entry_kind <> 'settlement' and ${COUNTED}
  group by 1, 2, 3, 4, 5, 6, 7
), counted as (
  select acct, asset, kind, merchant_id, channel_id, scheme, state, amount, legs from legs
  union all select acct, asset, kind, merchant_id, channel_id, scheme, 1, 0, -legs from undone
  union all select acct, asset, kind, merchant_id, channel_id, scheme, state, 0, legs from undone
)
select l.acct, l.asset, k.category as cat, l.merchant_id, l.channel_id,
       case when k.category in ('points_earn', 'points_redeem', 'points_load') then l.scheme end as scheme,
       sum(l.amount)::bigint as amount, coalesce(sum(l.legs) filter (where l.state = 1), 0)::bigint as n_live,
       coalesce(sum(l.legs) filter (where l.state = 2), 0)::bigint as n_voided
from counted l left join entry_kinds k on k.kind = l.kind
group by 1, 2, 3, 4, 5, 6`;

// The date's voids and reversals and what each undoes (a few thousand rows by an index). Read
// as rows and reduced here (undoneOn), not joined in SQL: entries are distributed by id on Citus,
// which would pull a self-join's rows to the coordinator first.
const UNDO_SQL = `
select id, kind, reverses_entry_id as undoes
from entries
where business_date = $1::date and kind in ('void', 'reversal') and reverses_entry_id is not null`;

/**
 * The originals the date's voids and reversals undo, once each, with their state in settle_agg's
 * terms (3 reversed, else 2 voided), as sorted arrays for AGGREGATE_SQL (Citus joins them on every
 * shard as a function scan). A void that a reversal undid undoes nothing: its original stands
 * (design §5, a reversal of a void), and the three entries net to the original's kind.
 */
export function undoneOn(rows: readonly { id: number; kind: string; undoes: number }[]): { ids: number[]; states: number[] } {
  const voids = new Set(rows.filter((r) => r.kind === 'void').map((r) => r.id));
  const reversedVoids = new Set(rows.filter((r) => r.kind === 'reversal' && voids.has(r.undoes)).map((r) => r.undoes));
  const state = new Map<number, number>();
  for (const r of rows) {
    if (r.kind === 'void' ? reversedVoids.has(r.id) : voids.has(r.undoes)) continue;
    state.set(r.undoes, Math.max(state.get(r.undoes) ?? 0, r.kind === 'reversal' ? 3 : 2));
  }
  const ids = [...state.keys()].sort((a, b) => a - b);
  return { ids, states: ids.map((id) => state.get(id)!) };
}

// The kinds whose card legs are never counted as transactions: a query of its own, as Citus plans
// a subquery over a reference table in the select list of a query over distributed entries only
// by refusing it.
const UNCOUNTED_SQL = `select coalesce(array_agg(kind), '{}') as uncounted from entry_kinds where not counted`;

/** work_mem of the aggregation: its groups stay in in-memory hashes (never spill to disk). */
export const SETTLE_WORK_MEM = '256MB';

/** Planner settings of the aggregation (see aggregateDate). */
const AGGREGATE_SETTINGS = { work_mem: `'${SETTLE_WORK_MEM}'`, enable_sort: 'off', parallel_setup_cost: '0', parallel_tuple_cost: '0' };

/** Sum of the date's postings per asset (settlement entries excluded): all zero when the date balances. */
export interface DateTotals { assetTotals: Record<string, number>; balanced: boolean }

/**
 * Aggregates business date `date` into the temporary table `settle_agg` of `client`'s transaction
 * (dropped at commit) and returns its totals per asset. The date must be closed (its postings final).
 */
export async function aggregateDate(client: Queryable, date: string): Promise<DateTotals> {
  // The planner cannot see that the CASE keys fold ~100,000 card accounts into 'card': it expects
  // hundreds of thousands of groups, so it would sort every leg (3× slower at 1,000,000
  // transactions) instead of hashing them into the few thousand there are, and would judge
  // gathering them from parallel workers too dear. For this statement only.
  await client.query(Object.entries(AGGREGATE_SETTINGS).map(([k, v]) => `set local ${k} = ${v}`).join('; '));
  const undone = undoneOn((await client.query<{ id: number; kind: string; undoes: number }>(UNDO_SQL, [date])).rows);
  const { rows: [kinds] } = await client.query<{ uncounted: string[] }>(UNCOUNTED_SQL);
  await client.query(AGGREGATE_SQL, [date, undone.ids, undone.states, kinds!.uncounted]);
  await client.query(Object.keys(AGGREGATE_SETTINGS).map((k) => `set local ${k} to default`).join('; '));
  await client.query(`analyze ${AGG}`);
  // Entries' kinds are checked against entry_kinds when posted; an undo's copy of the kind it undoes
  // (postings.reverses_kind, from its memo) is not, so one that names no kind is refused here rather
  // than dropped from the files.
  const { rows: unlisted } = await client.query<{ acct: string }>(`select acct from ${AGG} where cat is null limit 1`);
  if (unlisted.length > 0) {
    throw new InvariantError('settle_unknown_kind', `${unlisted[0]!.acct}: a posting of the date undoes a kind that entry_kinds does not list; cannot file it`);
  }
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

