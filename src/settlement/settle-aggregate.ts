/**
 * The one pass over a business date's postings that settlement needs (design §4 "Hot accounts":
 * party balances are computed by aggregation), and the file rows derived from it.
 */
import type { Queryable } from '../ledger/post.js';
import { InvariantError } from '../errors.js';

/** Name of the transaction-scoped temporary table `aggregateDate` fills. */
export const AGG = 'settle_agg';

// One scan of the date's postings joined to the date's entries, grouped to a few thousand rows:
//   acct       the account, every card account folded into 'card';
//   cat        the business category of the leg's entry: a void or reversal takes its original's
//              kind (so a voided purchase and its void net out in the purchase columns), a
//              claw-back is a (negative) points_earn, capture a purchase, activate a load,
//              breakage_reversal a (negative) breakage; kept only where a file needs it;
//   merchant_id / channel_id of the entry, kept on card legs (transaction counts) and commission legs;
//   scheme     code of the points scheme of a points entry, on the merchant's money leg
//              (merchant-points file), from the entry memo (its original's for a void or claw-back);
//   n_live     card legs of counted transactions neither voided nor reversed;
//   n_voided   the same for voided ones (the channel file counts them, the merchant file does not).
// A transaction is counted by its card leg (one per entry; a points exchange has two, so only
// its debit counts); voids, reversals, claw-backs and goods-prize entries are never counted.
// The voids, reversals and claw-backs (~2% of entries) come from their partial index; settlement
// entries of the date are excluded (design §4: stamped D, not part of D's aggregation).
const AGGREGATE_SQL = `
create temporary table ${AGG} on commit drop as
with u as (
  select x.id, x.kind, x.reverses_entry_id as orig_id, o.kind as orig_kind, o.memo->>'scheme' as orig_scheme
  from entries x join entries o on o.id = x.reverses_entry_id
  where x.business_date = $1::date and x.kind in ('void', 'reversal', 'points_clawback')
), w as (
  select distinct on (orig_id) orig_id, kind from u where kind in ('void', 'reversal') order by orig_id, kind
), e as (
  select id, kind, merchant_id, channel_id, memo->>'scheme' as scheme from entries where business_date = $1::date
), l as (
  select p.account, p.asset, p.amount, p.card_id, e.kind, e.merchant_id, e.channel_id,
         coalesce(u.orig_scheme, e.scheme) as scheme, w.kind as undone_by,
         case coalesce(case when e.kind in ('void', 'reversal') then u.orig_kind end, e.kind)
           when 'capture' then 'purchase' when 'activate' then 'load' when 'points_clawback' then 'points_earn'
           when 'breakage_reversal' then 'breakage'
           else coalesce(case when e.kind in ('void', 'reversal') then u.orig_kind end, e.kind) end as cat,
         p.card_id is not null and (e.merchant_id is not null or e.channel_id is not null)
           and e.kind not in ('void', 'reversal', 'points_clawback', 'lottery_prize', 'breakage_reversal')
           and (p.amount < 0 or e.kind <> 'points_exchange') as countable
  from postings p
  join e on e.id = p.entry_id
  left join u on u.id = p.entry_id
  left join w on w.orig_id = p.entry_id
  where p.business_date = $1::date and p.entry_kind <> 'settlement'
)
select case when card_id is not null then 'card' else account end as acct,
       asset,
       case when card_id is not null or account ~ '^(merchant|channel|issuer):' or account = 'revenue:merchant_commission' then cat end as cat,
       case when card_id is not null or account = 'revenue:merchant_commission' then merchant_id end as merchant_id,
       case when card_id is not null then channel_id end as channel_id,
       case when account like 'merchant:%' and cat in ('points_earn', 'points_redeem', 'points_load') then scheme end as scheme,
       sum(amount)::bigint as amount,
       count(*) filter (where countable and undone_by is null)::bigint as n_live,
       count(*) filter (where countable and undone_by = 'void')::bigint as n_voided
from l
group by 1, 2, 3, 4, 5, 6`;

/** Sum of the date's postings per asset (settlement entries excluded): all zero when the date balances. */
export interface DateTotals { assetTotals: Record<string, number>; balanced: boolean }

/**
 * Aggregates business date `date` into the temporary table `settle_agg` (dropped at commit) and
 * returns its totals per asset. Must run in the settlement transaction, after the date is closed.
 */
export async function aggregateDate(db: Queryable, date: string): Promise<DateTotals> {
  await db.query(AGGREGATE_SQL, [date]);
  await db.query(`analyze ${AGG}`);
  const { rows: missing } = await db.query<{ acct: string }>(`
    select acct from ${AGG} where acct like 'merchant:%' and cat in ('points_earn', 'points_redeem', 'points_load') and scheme is null limit 1`);
  if (missing.length > 0) {
    throw new InvariantError('settle_points_scheme', `${missing[0]!.acct}: a points entry of the date names no scheme in its memo; cannot attribute its money to a scheme`);
  }
  const { rows } = await db.query<{ asset: string; total: number }>(`
    select asset, sum(amount)::bigint as total from ${AGG} group by asset order by asset collate "C"`);
  const assetTotals = Object.fromEntries(rows.map((r) => [r.asset, r.total]));
  return { assetTotals, balanced: rows.every((r) => r.total === 0) };
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

