/**
 * The entries a settlement posts (design §4): points revaluation per scheme, then one settlement
 * entry per party and currency. Set-based: the legs are computed here into temporary tables and
 * posted by the ledger (`postPairedEntries`) without leaving the database.
 */
import type { Queryable } from '../ledger/post.js';
import { postPairedEntries } from '../ledger/bulk.js';
import { AGG } from './settle-aggregate.js';

const REVALUATION = 'settle_revaluation';
const REVALUATION_LEGS = 'settle_revaluation_legs';
const POSITIONS = 'settle_positions';

// Revaluation makes each scheme's float equal r(outstanding × v) over ALL postings (invariant 3
// as `purse ledger verify` checks it: from this entry on, each later points entry may add at most
// half a fen). Positions are carried date by date in settlement_scheme_positions: the previous
// settled date's position + this date's legs (from settle_agg) + the legs already posted on later,
// still open dates (few: a date is settled minutes after its cut-off; read by the
// postings(business_date, account) index). r(x / 10000) rounds half away from zero in numeric.
// Then one points_revaluation entry per scheme whose float is off: float +d, points_spread −d,
// memo {scheme_id} (what verify looks for); and the date's position row per scheme.
const REVALUE_SQL = `
create temporary table ${REVALUATION} on commit drop as
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
)
select * from d`;

const REVALUATION_LEGS_SQL = `
create temporary table ${REVALUATION_LEGS} on commit drop as
select 'scheme:' || scheme_id || ':float' as account, 'revenue:points_spread' as counter_account, currency as asset,
       revaluation as amount, jsonb_build_object('scheme_id', scheme_id, 'outstanding', outstanding_all, 'revaluation', revaluation) as memo
from ${REVALUATION} where revaluation <> 0`;

// One entry per party account and currency with a non-zero position on the date: party −position,
// settled:<party> +position ('settled:' || 'merchant_7' as account.settled('merchant:7') spells it).
const POSITIONS_SQL = `
create temporary table ${POSITIONS} on commit drop as
select acct as account, 'settled:' || replace(acct, ':', '_') as counter_account, asset, (-sum(amount))::bigint as amount,
       jsonb_build_object('party', acct, 'position', sum(amount)) as memo
from ${AGG}
where acct ~ '^(merchant|channel|issuer):[0-9]+$'
group by acct, asset having sum(amount) <> 0`;

/** Posts the revaluation entries of `date` and stores its scheme positions; returns the number of entries. */
export async function postRevaluations(db: Queryable, date: string, at: Date): Promise<number> {
  await db.query(REVALUE_SQL, [date]);
  await db.query(`
    insert into settlement_scheme_positions (business_date, scheme_id, outstanding, float_amount, revaluation)
    select $1::date, scheme_id, outstanding, float_amount + revaluation, revaluation from ${REVALUATION}`, [date]);
  await db.query(REVALUATION_LEGS_SQL);
  return postPairedEntries(db, date, 'points_revaluation', at, REVALUATION_LEGS);
}

/** Posts the settlement entries of `date` (from settle_agg); returns the number of entries. */
export async function postSettlementEntries(db: Queryable, date: string, at: Date): Promise<number> {
  await db.query(POSITIONS_SQL);
  return postPairedEntries(db, date, 'settlement', at, POSITIONS);
}
