import type { Context } from '../context.js';
import { InputError } from '../errors.js';
import { businessDateOf, isIsoDate } from '../ledger/calendar.js';

/** Age buckets: whole days from a card's last activity to the as-of date. */
export const AGE_BUCKETS = [
  { label: '0-30', max: 30 },
  { label: '31-90', max: 90 },
  { label: '91-180', max: 180 },
  { label: '181-365', max: 365 },
  { label: '366+', max: Infinity },
] as const;

export interface LiabilityRow {
  issuer: string;
  program: string;
  /** Ledger asset: the program currency for stored value, `PTS:<scheme>` for points. */
  asset: string;
  kind: 'value' | 'points';
  /** Scheme code for points, null for stored value. */
  scheme: string | null;
  /** Cards with a non-zero balance of the asset. */
  cards: number;
  outstanding: number;
  /** Outstanding amount per age bucket (every label present, 0 when empty). */
  aged: Record<string, number>;
}

export interface LiabilityReport {
  as_of: string;
  buckets: string[];
  rows: LiabilityRow[];
  totals: { asset: string; cards: number; outstanding: number }[];
  /** Unclaimed value moved to escheat: owed to the authorities, never revenue. */
  escheat: { issuer: string; asset: string; amount: number }[];
}

// One pass over the card postings up to D: each card's balance per asset and its last activity
// (latest posting date of any asset of a kind entry_kinds counts as activity: a dormancy fee is
// not; $2 the kinds that do not), then summed per issuer, program and asset into the age buckets.
// The per-card pass is finished (materialized) before it meets the cards: on Citus postings are
// not placed by card, so the pass is aggregated on the shards first and its rows then joined with
// the cards where they live, which Citus does; a join of the postings themselves with cards it refuses.
const CARDS_SQL = `
  with per as materialized (
    select card_id, asset, sum(amount) as balance,
           max(business_date) filter (where entry_kind <> all($2::text[])) as last_date
    from postings
    where card_id is not null and business_date <= $1::date
    group by card_id, asset
  ), card_last as materialized (
    select card_id, asset, balance, coalesce($1::date - max(last_date) over (partition by card_id), 100000) as age
    from per
  )
  select i.code as issuer, p.code as program, b.asset, count(*)::int as cards, sum(b.balance)::bigint as outstanding,
         coalesce(sum(b.balance) filter (where b.age <= 30), 0)::bigint as b0,
         coalesce(sum(b.balance) filter (where b.age between 31 and 90), 0)::bigint as b1,
         coalesce(sum(b.balance) filter (where b.age between 91 and 180), 0)::bigint as b2,
         coalesce(sum(b.balance) filter (where b.age between 181 and 365), 0)::bigint as b3,
         coalesce(sum(b.balance) filter (where b.age > 365), 0)::bigint as b4
  from card_last b
  join cards c on c.id = b.card_id
  join programs p on p.id = c.program_id
  join issuers i on i.id = p.issuer_id
  where b.balance <> 0
  group by i.code, p.code, b.asset
  order by i.code, p.code, b.asset`;

const ESCHEAT_SQL = `
  select i.code as issuer, x.asset, x.amount
  from (select split_part(account, ':', 2)::bigint as issuer_id, asset, sum(amount)::bigint as amount
        from postings where account like 'escheat:%' and business_date <= $1::date
        group by 1, 2 having sum(amount) <> 0) x
  join issuers i on i.id = x.issuer_id
  order by i.code, x.asset`;

/** The entry kinds whose postings are not card activity (entry_kinds.activity). */
async function inactiveKinds(ctx: Context): Promise<string[]> {
  const { rows: [k] } = await ctx.db.pg.query<{ kinds: string[] }>(`select coalesce(array_agg(kind), '{}') as kinds from entry_kinds where not activity`);
  return k!.kinds;
}

/**
 * `purse report liability --as-of D`: what the platform still owes cardholders at the end of
 * business date D — stored value and points per issuer, program and asset, aged by each card's
 * last activity (buckets `AGE_BUCKETS`) — computed from postings with business_date ≤ D, so any
 * past date can be reported and today's figures match the card balances of the ledger. Also
 * lists escheat balances per issuer. D may not be after today's business date.
 */
export async function liabilityReport(ctx: Context, input: { asOf: unknown }): Promise<LiabilityReport> {
  const asOf = input.asOf;
  if (typeof asOf !== 'string' || !isIsoDate(asOf)) throw new InputError('invalid_date', 'as_of must be a date YYYY-MM-DD', 'as_of');
  const today = businessDateOf(ctx.clock.now(), ctx.calendar);
  if (asOf > today) throw new InputError('future_date', `as_of ${asOf} is after today's business date ${today}`, 'as_of');

  const { rows } = await ctx.db.pg.query<{ issuer: string; program: string; asset: string; cards: number; outstanding: number;
    b0: number; b1: number; b2: number; b3: number; b4: number }>(CARDS_SQL, [asOf, await inactiveKinds(ctx)]);
  const out: LiabilityRow[] = rows.map((r) => {
    const points = r.asset.startsWith('PTS:');
    const amounts = [r.b0, r.b1, r.b2, r.b3, r.b4];
    return {
      issuer: r.issuer, program: r.program, asset: r.asset, kind: points ? 'points' : 'value', scheme: points ? r.asset.slice(4) : null,
      cards: r.cards, outstanding: r.outstanding,
      aged: Object.fromEntries(AGE_BUCKETS.map((b, i) => [b.label, amounts[i]!])),
    };
  });
  const totals = new Map<string, { asset: string; cards: number; outstanding: number }>();
  for (const r of out) {
    const t = totals.get(r.asset) ?? { asset: r.asset, cards: 0, outstanding: 0 };
    t.cards += r.cards;
    t.outstanding += r.outstanding;
    totals.set(r.asset, t);
  }
  const escheat = (await ctx.db.pg.query<{ issuer: string; asset: string; amount: number }>(ESCHEAT_SQL, [asOf])).rows;
  return {
    as_of: asOf, buckets: AGE_BUCKETS.map((b) => b.label), rows: out,
    totals: [...totals.values()].sort((a, b) => (a.asset < b.asset ? -1 : 1)), escheat,
  };
}
