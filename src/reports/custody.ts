import type { Context } from '../context.js';
import { liabilityReport } from '../settlement/liability.js';
import { previousQuarter, quarterOption } from '../registry/custody.js';
import type { CustodyClass } from '../registry/issuers.js';

/** Custody ratio in basis points per class (design §6b); `other` has none. */
export const CUSTODY_RATIO_BPS: Record<CustodyClass, number | null> = { scale: 2000, group: 3000, brand: 4000, other: null };

/** One issuer and currency of the custody report (minor units). */
export interface CustodyRow {
  issuer: string;
  issuer_name: string;
  custody_class: CustodyClass;
  currency: string;
  /** Stored value outstanding at the end of the previous quarter (= `report liability --as-of` that day). */
  outstanding: number;
  /** `20%`, `30%`, `40%`, or null (class other: none). */
  ratio: string | null;
  /** ceil(outstanding × ratio) to the fen; null without a ratio. */
  required: number | null;
  /** Recorded custody balance for the quarter, null when none was recorded. */
  custody: number | null;
  /** max(0, required − custody) when both are known, else null. */
  shortfall: number | null;
  /** The quarter's activity: cards issued, value loaded onto cards, value redeemed at merchants (purchases net of refunds). */
  cards_issued: number;
  value_loaded: number;
  value_redeemed: number;
}

export interface CustodyReport {
  quarter: string;
  /** The previous quarter's last business date: the balance the ratio applies to. */
  balance_date: string;
  from: string;
  to: string;
  rows: CustodyRow[];
}

// The quarter's activity per issuer and program currency. Loads: bulk loads, POS loads and
// activations with value; redemptions: purchases and captures net of refunds. A void or reversal
// counts under the kind it undoes (postings.reverses_kind), so an undone purchase nets out. Summed
// per card first (materialized), then joined with the cards: on Citus postings are not placed by
// card, and a join of the postings themselves with cards is refused there.
const ACTIVITY_SQL = `
  with per as materialized (
    select card_id, asset,
           coalesce(sum(amount) filter (where coalesce(reverses_kind, entry_kind) in ('bulk_load', 'load', 'activate')), 0) as loaded,
           coalesce(-sum(amount) filter (where coalesce(reverses_kind, entry_kind) in ('purchase', 'capture', 'refund')), 0) as redeemed
    from postings
    where business_date between $1::date and $2::date and card_id is not null and asset not like 'PTS:%'
    group by card_id, asset
  )
  select pr.issuer_id, p.asset as currency, sum(p.loaded)::bigint as loaded, sum(p.redeemed)::bigint as redeemed
  from per p
  join cards c on c.id = p.card_id
  join programs pr on pr.id = c.program_id
  group by pr.issuer_id, p.asset`;

const ISSUED_SQL = `
  select pr.issuer_id, pr.currency, count(*)::bigint as issued
  from cards c join programs pr on pr.id = c.program_id
  where (c.issued_at at time zone $3)::date between $1::date and $2::date and pr.kind <> 'points'
  group by pr.issuer_id, pr.currency`;

/**
 * `purse report custody --quarter YYYYQn` (design §6b; MOFCOM Order 2012 No. 9, art. 26): per
 * issuer and currency, the stored value outstanding at the end of the previous quarter — taken
 * from `report liability` as of that quarter's last day, so the two always agree — the class's
 * ratio, the required custody rounded up to the fen, the recorded custody and shortfall, and the
 * quarter's cards issued, value loaded and value redeemed. Every issuer appears, with zeros when
 * idle. Read only.
 */
export async function custodyReport(ctx: Context, input: { quarter: unknown }): Promise<CustodyReport> {
  const q = quarterOption(input.quarter);
  const prev = previousQuarter(q);
  const liability = await liabilityReport(ctx, { asOf: prev.last });
  const db = ctx.db.pg;
  const { rows: issuers } = await db.query<{ id: number; code: string; name: string; custody_class: CustodyClass }>(
    'select id, code, name, custody_class from issuers order by code collate "C"');
  const { rows: activity } = await db.query<{ issuer_id: number; currency: string; loaded: number; redeemed: number }>(ACTIVITY_SQL, [q.first, q.last]);
  const { rows: issued } = await db.query<{ issuer_id: number; currency: string; issued: number }>(ISSUED_SQL, [q.first, q.last, ctx.calendar.timezone]);
  const { rows: custody } = await db.query<{ issuer_id: number; currency: string; amount: number }>(
    'select issuer_id, currency, amount from issuer_custody where quarter = $1', [q.quarter]);

  const key = (issuerId: number, currency: string) => `${issuerId}\u0000${currency}`;
  const byCode = new Map(issuers.map((i) => [i.code, i]));
  const outstanding = new Map<string, bigint>();
  for (const r of liability.rows) {
    if (r.kind !== 'value') continue;
    const k = key(byCode.get(r.issuer)!.id, r.asset);
    outstanding.set(k, (outstanding.get(k) ?? 0n) + BigInt(r.outstanding));
  }
  const keys = new Set<string>([...outstanding.keys(), ...activity.map((a) => key(a.issuer_id, a.currency)), ...issued.map((a) => key(a.issuer_id, a.currency)),
    ...custody.map((c) => key(c.issuer_id, c.currency))]);
  for (const i of issuers) if (![...keys].some((k) => k.startsWith(`${i.id}\u0000`))) keys.add(key(i.id, 'CNY'));

  const rows: CustodyRow[] = [];
  for (const i of issuers) {
    const currencies = [...keys].filter((k) => k.startsWith(`${i.id}\u0000`)).map((k) => k.split('\u0000')[1]!).sort();
    for (const currency of currencies) {
      const k = key(i.id, currency);
      const out = outstanding.get(k) ?? 0n;
      const bps = CUSTODY_RATIO_BPS[i.custody_class];
      const required = bps === null ? null : (out * BigInt(bps) + 9_999n) / 10_000n; // ceiling: never below the ratio
      const held = custody.find((c) => c.issuer_id === i.id && c.currency === currency)?.amount ?? null;
      const act = activity.find((a) => a.issuer_id === i.id && a.currency === currency);
      rows.push({
        issuer: i.code, issuer_name: i.name, custody_class: i.custody_class, currency, outstanding: Number(out),
        ratio: bps === null ? null : `${bps / 100}%`, required: required === null ? null : Number(required), custody: held,
        shortfall: required === null || held === null ? null : Math.max(0, Number(required) - held),
        cards_issued: issued.find((a) => a.issuer_id === i.id && a.currency === currency)?.issued ?? 0,
        value_loaded: act?.loaded ?? 0, value_redeemed: act?.redeemed ?? 0,
      });
    }
  }
  return { quarter: q.quarter, balance_date: prev.last, from: q.first, to: q.last, rows };
}
