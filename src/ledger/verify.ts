import type { Queryable } from './post.js';

export interface Violation {
  invariant: 1 | 2 | 3 | 4;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  entries: number;
  postings: number;
  cardAccounts: number;
  violations: Violation[];
}

const LIMIT = 20;

/**
 * Checks the ledger invariants of design §4 over the whole database:
 * 1 every entry sums to zero per asset; 2 card balances equal their postings (points balances also their lots), are never negative
 * and never above the program maximum; 3 each scheme's float is within half a fen per
 * unrevalued points entry of r(outstanding × v); 4 all account balances (card balances as kept
 * in card_accounts, the others as sums of postings) sum to zero per asset. Lists at most 20
 * violations per check; `ok` is true only when there are none.
 */
export async function verifyLedger(db: Queryable): Promise<VerifyReport> {
  const violations: Violation[] = [];
  const add = (invariant: Violation['invariant'], rows: { message: string }[]) => rows.forEach((r) => violations.push({ invariant, message: r.message }));

  const counts = (await db.query<{ entries: number; postings: number; card_accounts: number }>(`
    select (select count(*) from entries) as entries, (select count(*) from postings) as postings,
           (select count(*) from card_accounts) as card_accounts`)).rows[0]!;

  add(1, (await db.query<{ message: string }>(`
    select format('entry %s: asset %s sums to %s', entry_id, asset, sum(amount)) as message
    from postings group by entry_id, asset having sum(amount) <> 0
    order by entry_id limit ${LIMIT}`)).rows);
  add(1, (await db.query<{ message: string }>(`
    select format('entry %s (%s) has no postings', e.id, e.kind) as message
    from entries e where not exists (select 1 from postings p where p.entry_id = e.id)
    order by e.id limit ${LIMIT}`)).rows);

  add(2, (await db.query<{ message: string }>(`
    with sums as (
      select card_id, asset, sum(amount) as total from postings where card_id is not null group by card_id, asset
    )
    select format('card %s %s: balance %s but postings sum to %s', coalesce(a.card_id, s.card_id), coalesce(a.asset, s.asset),
                  coalesce(a.balance, 0), coalesce(s.total, 0)) as message
    from card_accounts a full join sums s on s.card_id = a.card_id and s.asset = a.asset
    where coalesce(a.balance, 0) <> coalesce(s.total, 0)
    order by 1 limit ${LIMIT}`)).rows);
  add(2, (await db.query<{ message: string }>(`
    select format('card %s %s: negative balance %s or holds %s', card_id, asset, balance, held) as message
    from card_accounts where balance < 0 or held < 0 or held > balance limit ${LIMIT}`)).rows);
  // Points are kept in lots (src/points/lots.ts): each card's PTS balance is the sum of its lots' remaining.
  add(2, (await db.query<{ message: string }>(`
    with lots as (
      select l.card_id, 'PTS:' || s.code as asset, sum(l.remaining) as total
      from points_lots l join schemes s on s.id = l.scheme_id group by 1, 2
    )
    select format('card %s %s: balance %s but its points lots hold %s', coalesce(a.card_id, l.card_id), coalesce(a.asset, l.asset),
                  coalesce(a.balance, 0), coalesce(l.total, 0)) as message
    from (select card_id, asset, balance from card_accounts where asset like 'PTS:%') a
    full join lots l on l.card_id = a.card_id and l.asset = a.asset
    where coalesce(a.balance, 0) <> coalesce(l.total, 0)
    order by 1 limit ${LIMIT}`)).rows);
  add(2, (await db.query<{ message: string }>(`
    select format('card %s: balance %s above program %s maximum %s', a.card_id, a.balance, p.code, p.max_balance) as message
    from card_accounts a join cards c on c.id = a.card_id join programs p on p.id = c.program_id
    where a.asset = p.currency and a.balance > p.max_balance limit ${LIMIT}`)).rows);

  add(3, (await db.query<{ message: string }>(SCHEME_FLOAT_SQL)).rows);

  // Card balances as kept in place plus every other account's postings: an unbalanced entry and a
  // card balance drifted from its postings both leave a non-zero total here.
  add(4, (await db.query<{ message: string }>(`
    select format('asset %s: all account balances sum to %s', asset, sum(total)) as message
    from (select asset, balance as total from card_accounts
          union all select asset, amount from postings where card_id is null) b
    group by asset having sum(total) <> 0 order by asset`)).rows);

  return { ok: violations.length === 0, entries: counts.entries, postings: counts.postings, cardAccounts: counts.card_accounts, violations };
}

// Outstanding points = -(issued account); float should be r(outstanding × v / 10000). Between
// revaluations each entry that moved the scheme's points may leave at most half a fen of rounding,
// so |float - expected| × 2 <= entries since the last revaluation. The postings are aggregated
// first (materialized) and then joined to the schemes: on Citus (design §9) each aggregate runs on
// the shards and the join over their small results on the coordinator (Citus refuses a correlated
// subquery over distributed postings from the schemes reference table).
const SCHEME_FLOAT_SQL = `
  with s as (
    select id, code, redemption_value, 'PTS:' || code as asset, currency from schemes
  ), last_reval as materialized (
    select (memo->>'scheme_id')::bigint as scheme_id, max(id) as entry_id
    from entries where kind = 'points_revaluation' group by 1
  ), sums as materialized (
    select account, asset, sum(amount) as total from postings where account like 'scheme:%' group by 1, 2
  ), moves as materialized (
    select p.account, count(distinct p.entry_id) as n
    from postings p left join last_reval r on p.account = 'scheme:' || r.scheme_id || ':issued'
    where p.account like 'scheme:%:issued' and p.entry_id > coalesce(r.entry_id, 0)
    group by p.account
  ), m as (
    select s.id, s.code, s.redemption_value,
      coalesce(-i.total, 0) as outstanding, coalesce(f.total, 0) as float, coalesce(mv.n, 0) as moves
    from s
    left join sums i on i.account = 'scheme:' || s.id || ':issued' and i.asset = s.asset
    left join sums f on f.account = 'scheme:' || s.id || ':float' and f.asset = s.currency
    left join moves mv on mv.account = 'scheme:' || s.id || ':issued'
  )
  select format('scheme %s: float %s, expected %s for %s outstanding points (tolerance %s entries)',
                code, float, expected, outstanding, moves) as message
  from (select *, (case when outstanding * redemption_value >= 0 then 1 else -1 end)
                  * floor((abs(outstanding * redemption_value::numeric) * 2 + 10000) / 20000) as expected from m) x
  where abs(float - expected) * 2 > moves`;
