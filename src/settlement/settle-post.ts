/**
 * The entries a settlement posts (design §4): points revaluation per scheme, then one settlement
 * entry per party and currency. Set-based: the legs never leave the database.
 */
import type { Queryable } from '../ledger/post.js';
import { AGG } from './settle-aggregate.js';

// Revaluation makes each scheme's float equal r(outstanding × v) over ALL postings (invariant 3
// as `purse ledger verify` checks it: from this entry on, each later points entry may add at most
// half a fen). Positions are carried date by date in settlement_scheme_positions: the previous
// settled date's position + this date's legs (from settle_agg) + the legs already posted on later,
// still open dates (few: a date is settled minutes after its cut-off; read by the
// postings(business_date, account) index). r(x / 10000) rounds half away from zero in numeric.
// Then one points_revaluation entry per scheme whose float is off: float +d, points_spread −d,
// memo {scheme_id} (what verify looks for); and the date's position row per scheme.
// Revaluation and settlement entries name no merchant or channel, so their postings leave
// postings.merchant_id/channel_id (migration 000090) null.
const REVALUE_SQL = `
with prev as (
  select p.scheme_id, p.outstanding, p.float_amount from settlement_scheme_positions p
  where p.business_date = (select max(business_date) from settlements where business_date < $1::date)
), today as (
  select s.id as scheme_id,
    coalesce(-(select sum(a.amount) from ${AGG} a where a.acct = 'scheme:' || s.id || ':issued' and a.asset = 'PTS:' || s.code), 0) as outstanding,
    coalesce((select sum(a.amount) from ${AGG} a where a.acct = 'scheme:' || s.id || ':float' and a.asset = s.currency), 0) as float_amount
  from schemes s
), later as (
  select s.id as scheme_id,
    coalesce(-sum(p.amount) filter (where p.account = 'scheme:' || s.id || ':issued' and p.asset = 'PTS:' || s.code), 0) as outstanding,
    coalesce(sum(p.amount) filter (where p.account = 'scheme:' || s.id || ':float' and p.asset = s.currency), 0) as float_amount
  from schemes s left join postings p
    on p.business_date > $1::date and p.account in ('scheme:' || s.id || ':issued', 'scheme:' || s.id || ':float')
  group by s.id
), pos as (
  select s.id as scheme_id, s.currency, s.redemption_value,
    coalesce(prev.outstanding, 0) + today.outstanding as outstanding,
    coalesce(prev.float_amount, 0) + today.float_amount as float_amount,
    coalesce(prev.outstanding, 0) + today.outstanding + later.outstanding as outstanding_all,
    coalesce(prev.float_amount, 0) + today.float_amount + later.float_amount as float_all
  from schemes s join today on today.scheme_id = s.id join later on later.scheme_id = s.id
  left join prev on prev.scheme_id = s.id
), d as (
  select pos.*,
    (sign(outstanding_all::numeric * redemption_value) * floor((abs(outstanding_all::numeric * redemption_value) + 5000) / 10000))::bigint
      - float_all as revaluation
  from pos
), ids as materialized (
  select d.*, nextval(pg_get_serial_sequence('entries', 'id')) as entry_id from d where revaluation <> 0
), new_entries as (
  insert into entries (id, kind, business_date, occurred_at, memo)
  select entry_id, 'points_revaluation', $1::date, $2::timestamptz,
         jsonb_build_object('scheme_id', scheme_id, 'outstanding', outstanding_all, 'revaluation', revaluation) from ids
), new_postings as (
  insert into postings (entry_id, account, asset, amount, business_date, entry_kind)
  select ids.entry_id, l.account, ids.currency, l.amount, $1::date, 'points_revaluation'
  from ids cross join lateral (values
    ('scheme:' || ids.scheme_id || ':float', ids.revaluation),
    ('revenue:points_spread', -ids.revaluation)) as l(account, amount)
), positions as (
  insert into settlement_scheme_positions (business_date, scheme_id, outstanding, float_amount, revaluation)
  select $1::date, scheme_id, outstanding, float_amount + revaluation, revaluation from d
)
select count(*)::int as n from ids`;

// One entry per party account and currency with a non-zero position on the date: party −position,
// settled:<party> +position ('settled:' || 'merchant_7' as account.settled('merchant:7') spells it).
const SETTLE_SQL = `
with pos as (
  select acct, asset, sum(amount) as position from ${AGG}
  where acct ~ '^(merchant|channel|issuer):[0-9]+$'
  group by acct, asset having sum(amount) <> 0
), ids as materialized (
  select pos.*, nextval(pg_get_serial_sequence('entries', 'id')) as entry_id from pos
), new_entries as (
  insert into entries (id, kind, business_date, occurred_at, memo)
  select entry_id, 'settlement', $1::date, $2::timestamptz, jsonb_build_object('party', acct, 'position', position) from ids
), new_postings as (
  insert into postings (entry_id, account, asset, amount, business_date, entry_kind)
  select ids.entry_id, l.account, ids.asset, l.amount, $1::date, 'settlement'
  from ids cross join lateral (values
    (ids.acct, -ids.position),
    ('settled:' || replace(ids.acct, ':', '_'), ids.position)) as l(account, amount)
)
select count(*)::int as n from ids`;

/** Posts the revaluation entries of `date` and stores its scheme positions; returns the number of entries. */
export async function postRevaluations(db: Queryable, date: string, at: Date): Promise<number> {
  const { rows } = await db.query<{ n: number }>(REVALUE_SQL, [date, at]);
  return rows[0]!.n;
}

/** Posts the settlement entries of `date` (from settle_agg); returns the number of entries. */
export async function postSettlementEntries(db: Queryable, date: string, at: Date): Promise<number> {
  const { rows } = await db.query<{ n: number }>(SETTLE_SQL, [date, at]);
  return rows[0]!.n;
}
