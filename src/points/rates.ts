/** Exchange rates as a points exchange sees them (purse rate show): the version in force at a time. */
import type { Context } from '../context.js';
import * as v from '../registry/validate.js';
import { RATE_SCALE } from '../registry/schemes.js';
import { InputError, NotFoundError } from '../errors.js';
import { isIsoDate, zonedInstant } from '../ledger/calendar.js';
import { rateInForce, schemeByCode } from './lookup.js';

export interface RateVersion { rate: string; rate_micro: number; effective_at: string }

export interface RateView {
  from: string;
  to: string;
  /** The instant asked about. */
  at: string;
  /** The version an exchange arriving at `at` uses (latest effective_at <= at); null = none, the exchange declines 12. */
  in_force: RateVersion | null;
  /** Every published version of the pair, newest first. */
  versions: RateVersion[];
}

const ZONED_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** A date (midnight business time) or an ISO 8601 time with offset, as `rate set --effective-at` takes it. */
function instant(value: unknown, field: string, timezone: string): Date {
  const s = String(value);
  if (isIsoDate(s)) return zonedInstant(s, 0, timezone);
  const t = new Date(s);
  if (!ZONED_TIME.test(s) || !isIsoDate(s.slice(0, 10)) || Number.isNaN(t.getTime())) {
    throw new InputError('invalid_time', `${field} must be a date (YYYY-MM-DD, midnight business time) or an ISO 8601 time with offset such as 2026-01-01T00:00:00+08:00`, field);
  }
  return t;
}

const version = (rateMicro: number, effectiveAt: Date): RateVersion => ({
  rate: v.formatScaled(rateMicro, RATE_SCALE), rate_micro: rateMicro, effective_at: effectiveAt.toISOString(),
});

/**
 * The rate from scheme `from` to `to` in force at `at` (default now by the context clock) — the
 * one `points_exchange` applies to a request arriving then — and the pair's published versions.
 * Unknown schemes are refused naming the field (`from`, `to`); a pair with no version is shown
 * with `in_force: null`.
 */
export async function showRate(ctx: Context, input: { from: unknown; to: unknown; at?: unknown }): Promise<RateView> {
  const fromCode = v.code(input.from, 'from');
  const toCode = v.code(input.to, 'to');
  const at = input.at === undefined || input.at === '' ? ctx.clock.now() : instant(input.at, 'at', ctx.calendar.timezone);
  const from = await schemeByCode(ctx.db.pg, fromCode);
  if (!from) throw new NotFoundError('scheme', fromCode, 'from');
  const to = await schemeByCode(ctx.db.pg, toCode);
  if (!to) throw new NotFoundError('scheme', toCode, 'to');
  const current = await rateInForce(ctx.db.pg, from.id, to.id, at);
  const { rows } = await ctx.db.pg.query<{ rate_micro: number; effective_at: Date }>({
    name: 'points_rate_versions',
    text: 'select rate_micro, effective_at from exchange_rates where from_scheme_id = $1 and to_scheme_id = $2 order by effective_at desc',
    values: [from.id, to.id],
  });
  return {
    from: from.code, to: to.code, at: at.toISOString(),
    in_force: current ? version(current.rateMicro, current.effectiveAt) : null,
    versions: rows.map((r) => version(r.rate_micro, r.effective_at)),
  };
}
