import { sql } from 'slonik';
import type { Context } from '../context.js';
import * as v from './validate.js';
import { idOf, insertUnique } from './lookup.js';
import { InputError, NotFoundError } from '../errors.js';
import { isIsoDate, zonedInstant } from '../ledger/calendar.js';

/** Prices are entered as minor units per point with up to 4 decimals and stored per 10,000 points. */
export const PRICE_SCALE = 4;
/** Exchange rates are entered with up to 6 decimals and stored times 1,000,000. */
export const RATE_SCALE = 6;

export interface Scheme {
  id: number; code: string; name: string; currency: string;
  issue_price: number; redemption_value: number; sale_price: number; validity_months: number | null; created_at: string;
}

export interface SchemeInput {
  code: unknown; name?: unknown; currency?: unknown; issuePrice: unknown; redemptionValue: unknown; salePrice?: unknown; validityMonths?: unknown;
}

const COLUMNS = sql.fragment`id, code, name, currency, issue_price, redemption_value, sale_price, validity_months, created_at`;

/**
 * Registers a points scheme. Prices are minor units per point (e.g. "0.5" = half a fen a point);
 * the sale price defaults to the issue price. Issue price below redemption value is allowed
 * (a promotional scheme) but then the spread is a cost.
 */
export async function addScheme(ctx: Context, input: SchemeInput): Promise<Scheme> {
  const code = v.code(input.code);
  const name = v.name(input.name ?? code);
  const currency = input.currency ? v.currency(input.currency) : 'CNY';
  const issuePrice = v.scaledDecimal(input.issuePrice, 'issue_price', PRICE_SCALE);
  const redemptionValue = v.scaledDecimal(input.redemptionValue, 'redemption_value', PRICE_SCALE);
  const salePrice = input.salePrice === undefined || input.salePrice === '' ? issuePrice : v.scaledDecimal(input.salePrice, 'sale_price', PRICE_SCALE);
  const validity = v.optionalInt(input.validityMonths, 'validity_months', 1, 600);
  return insertUnique('scheme', code, 'code', () => ctx.db.sql.one(sql.unsafe`
    insert into schemes (code, name, currency, issue_price, redemption_value, sale_price, validity_months)
    values (${code}, ${name}, ${currency}, ${issuePrice}, ${redemptionValue}, ${salePrice}, ${validity})
    returning ${COLUMNS}`)) as Promise<Scheme>;
}

export async function listSchemes(ctx: Context): Promise<Scheme[]> {
  return (await ctx.db.sql.any(sql.unsafe`select ${COLUMNS} from schemes order by code`)) as Scheme[];
}

export async function showScheme(ctx: Context, code: string): Promise<Scheme> {
  const row = await ctx.db.sql.maybeOne(sql.unsafe`select ${COLUMNS} from schemes where code = ${code}`);
  if (!row) throw new NotFoundError('scheme', code, 'code');
  return row as Scheme;
}

export interface Rate { from: string; to: string; rate: string; rate_micro: number; effective_at: string }

/**
 * Publishes a rate: `rate` points of `to` per point of `from` (up to 6 decimals, stored × 10^6),
 * in force from `effectiveAt` (default now by the context clock; see effectiveTime). Rates are
 * versions: a new one never rewrites an old one; a second rate for the pair at the same instant
 * is refused.
 */
export async function setRate(ctx: Context, input: { from: unknown; to: unknown; rate: unknown; effectiveAt?: unknown }): Promise<Rate> {
  const from = v.code(input.from, 'from');
  const to = v.code(input.to, 'to');
  if (from === to) throw new InputError('same_scheme', 'to must differ from from', 'to');
  const rateMicro = v.scaledDecimal(input.rate, 'rate', RATE_SCALE, { positive: true });
  const effectiveAt = input.effectiveAt === undefined || input.effectiveAt === '' ? ctx.clock.now() : effectiveTime(input.effectiveAt, ctx.calendar.timezone);
  return ctx.db.sql.transaction(async (tx) => {
    const fromId = await idOf(tx, 'schemes', from, 'from');
    const toId = await idOf(tx, 'schemes', to, 'to');
    await insertUnique('rate at', effectiveAt.toISOString(), 'effective_at', () => tx.query(sql.unsafe`
      insert into exchange_rates (from_scheme_id, to_scheme_id, rate_micro, effective_at)
      values (${fromId}, ${toId}, ${rateMicro}, ${effectiveAt.toISOString()})`));
    return { from, to, rate: v.formatScaled(rateMicro, RATE_SCALE), rate_micro: rateMicro, effective_at: effectiveAt.toISOString() };
  });
}

const ZONED_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * An effective time: an ISO 8601 time with its offset (`2026-04-01T00:00:00+08:00`, `…Z`), or a
 * date alone, meaning midnight in the business time zone. A time without an offset is refused:
 * it would depend on the zone of whichever machine ran the command.
 */
function effectiveTime(value: unknown, timezone: string): Date {
  const s = String(value);
  if (isIsoDate(s)) return zonedInstant(s, 0, timezone);
  const t = new Date(s);
  if (!ZONED_TIME.test(s) || !isIsoDate(s.slice(0, 10)) || Number.isNaN(t.getTime())) {
    throw new InputError('invalid_time', 'effective_at must be a date (YYYY-MM-DD, midnight business time) or an ISO 8601 time with offset such as 2026-01-01T00:00:00+08:00', 'effective_at');
  }
  return t;
}

/** Every published rate, newest first per pair. */
export async function listRates(ctx: Context): Promise<Rate[]> {
  const rows = (await ctx.db.sql.any(sql.unsafe`
    select f.code as from, t.code as to, r.rate_micro, r.effective_at
    from exchange_rates r join schemes f on f.id = r.from_scheme_id join schemes t on t.id = r.to_scheme_id
    order by f.code, t.code, r.effective_at desc`)) as Omit<Rate, 'rate'>[];
  return rows.map((r) => ({ ...r, rate: v.formatScaled(r.rate_micro, RATE_SCALE) }));
}
