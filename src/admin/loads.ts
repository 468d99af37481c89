import type { Context } from '../context.js';
import { localTime } from './time.js';

/** A load as the management API lists it (充值交易查询): a real-time load or a bulk-load row. */
export interface AdminLoad {
  source: 'transaction' | 'file'; id: number; card: { id: number; masked: string }; issuer: string; amount: number;
  reference: string | null; file_name: string | null; business_date: string | null; at: string;
}

export interface LoadFilter {
  /** Scope: only this issuer's (issuer_ops). */
  scopeIssuerId: number | null;
  /** The issuer asked for, by code. */
  issuer?: string; from?: string; to?: string;
  /** Page keys: transaction id × 2, or a file row's entry id × 2 + 1. */
  afterKey: number; limit: number;
}

interface Row { key: number; source: 'transaction' | 'file'; id: number; card_id: number; amount: number; reference: string | null; file_name: string | null; at: Date; business_date: string | null }

/**
 * Real-time loads (approved load and activate transactions with value) and bulk-load rows, in key
 * order after `afterKey`. The issuer's cards and the rows' business dates are looked up on their
 * own: on Citus (design §9) transactions, cards, load references and entries are each placed by
 * their own key, and a join of two of them on another column is refused, while a list of ids from
 * an uncorrelated subquery is not. Without a date filter no entry is read but the page's own.
 */
export async function queryLoads(ctx: Context, f: LoadFilter): Promise<{ key: number; load: AdminLoad }[]> {
  let issuerId = f.scopeIssuerId;
  if (f.issuer !== undefined) {
    const { rows: [asked] } = await ctx.db.pg.query<{ id: number }>('select id from issuers where code = $1', [f.issuer]);
    if (!asked || (issuerId !== null && asked.id !== issuerId)) return [];
    issuerId = asked.id;
  }
  const dated = f.from !== undefined || f.to !== undefined;
  const { rows } = await ctx.db.pg.query<Row>(`
    select * from (
      select t.id * 2 as key, 'transaction' as source, t.id, t.card_id, t.amount_approved as amount, null::text as reference,
             null::text as file_name, t.occurred_at as at, t.business_date::text as business_date
      from transactions t
      where t.type in ('load', 'activate') and t.approved and t.amount_approved > 0
        and ($1::bigint is null or t.card_id in (select c.id from cards c join programs p on p.id = c.program_id where p.issuer_id = $1))
        and ($2::date is null or t.business_date >= $2) and ($3::date is null or t.business_date <= $3)
      union all
      select l.entry_id * 2 + 1, 'file', l.entry_id, l.card_id, l.amount, l.reference, l.file_name, l.applied_at, null
      from load_references l
      where ($1::bigint is null or l.issuer_id = $1)
        and (not $4::boolean or l.entry_id in (
          select e.id from entries e where ($2::date is null or e.business_date >= $2) and ($3::date is null or e.business_date <= $3)))
    ) x where key > $5 order by key limit $6`,
  [issuerId, f.from ?? null, f.to ?? null, dated, f.afterKey, f.limit]);
  const cards = await cardsOf(ctx, rows.map((r) => r.card_id));
  const dates = await entryDates(ctx, rows.filter((r) => r.source === 'file').map((r) => r.id));
  return rows.map((r) => ({
    key: Number(r.key),
    load: {
      source: r.source, id: r.id, card: { id: r.card_id, masked: `************${cards.get(r.card_id)?.last4 ?? '????'}` },
      issuer: cards.get(r.card_id)?.issuer ?? '', amount: r.amount, reference: r.reference, file_name: r.file_name,
      business_date: r.source === 'file' ? dates.get(r.id) ?? null : r.business_date, at: localTime(r.at, ctx.config.timezone),
    },
  }));
}

async function cardsOf(ctx: Context, ids: readonly number[]): Promise<Map<number, { last4: string; issuer: string }>> {
  if (ids.length === 0) return new Map();
  const { rows: cards } = await ctx.db.pg.query<{ id: number; pan_last4: string; program_id: number }>(
    'select id, pan_last4, program_id from cards where id = any($1::bigint[])', [[...new Set(ids)]]);
  const { rows: programs } = await ctx.db.pg.query<{ id: number; issuer: string }>(
    'select p.id, i.code as issuer from programs p join issuers i on i.id = p.issuer_id where p.id = any($1::bigint[])', [[...new Set(cards.map((c) => c.program_id))]]);
  const issuer = new Map(programs.map((p) => [p.id, p.issuer]));
  return new Map(cards.map((c) => [c.id, { last4: c.pan_last4, issuer: issuer.get(c.program_id) ?? '' }]));
}

async function entryDates(ctx: Context, ids: readonly number[]): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const { rows } = await ctx.db.pg.query<{ id: number; business_date: string }>(
    'select id, business_date::text as business_date from entries where id = any($1::bigint[])', [ids]);
  return new Map(rows.map((r) => [r.id, r.business_date]));
}
