import type { Queryable } from '../ledger/post.js';
import { pointsAsset } from '../ledger/accounts.js';

/** A points scheme as the points domain prices it (prices per 10,000 points, design §3). */
export interface SchemeRow {
  id: number;
  code: string;
  currency: string;
  issuePrice: number;
  redemptionValue: number;
  salePrice: number;
  validityMonths: number | null;
  /** Ledger asset `PTS:<code>`. */
  asset: string;
}

const SCHEME_COLUMNS = 'id, code, currency, issue_price, redemption_value, sale_price, validity_months';

interface SchemeDbRow {
  id: number; code: string; currency: string; issue_price: number; redemption_value: number; sale_price: number; validity_months: number | null;
}

function toScheme(r: SchemeDbRow): SchemeRow {
  return {
    id: r.id, code: r.code, currency: r.currency, issuePrice: r.issue_price, redemptionValue: r.redemption_value,
    salePrice: r.sale_price, validityMonths: r.validity_months, asset: pointsAsset(r.code),
  };
}

/** The scheme with this code, or null. */
export async function schemeByCode(db: Queryable, code: string): Promise<SchemeRow | null> {
  const { rows } = await db.query<SchemeDbRow>({ name: 'points_scheme_by_code', text: `select ${SCHEME_COLUMNS} from schemes where code = $1`, values: [code] });
  return rows[0] ? toScheme(rows[0]) : null;
}

/** The scheme with this id, or null. */
export async function schemeById(db: Queryable, id: number): Promise<SchemeRow | null> {
  const { rows } = await db.query<SchemeDbRow>({ name: 'points_scheme_by_id', text: `select ${SCHEME_COLUMNS} from schemes where id = $1`, values: [id] });
  return rows[0] ? toScheme(rows[0]) : null;
}

/** What the points domain needs to know about a card: its program's kind and home scheme. */
export interface CardProgram { kind: 'stored_value' | 'points' | 'combo'; schemeId: number | null }

/** A merchant's points earn rule (design §3): `rate` points per 100 minor units, capped per transaction. */
export interface EarnRule { schemeId: number; rate: number; cap: number | null }

/** A published exchange rate version (design §3). */
export interface RateRow { id: number; rateMicro: number; effectiveAt: Date }

/**
 * The rate from `fromSchemeId` to `toSchemeId` in force at `at`: the latest version with
 * effective_at <= at (a version published for a later time is not yet in force), or null.
 */
export async function rateInForce(db: Queryable, fromSchemeId: number, toSchemeId: number, at: Date): Promise<RateRow | null> {
  const { rows } = await db.query<{ id: number; rate_micro: number; effective_at: Date }>({
    name: 'points_rate_in_force',
    text: `
      select id, rate_micro, effective_at from exchange_rates
      where from_scheme_id = $1 and to_scheme_id = $2 and effective_at <= $3
      order by effective_at desc limit 1`,
    values: [fromSchemeId, toSchemeId, at],
  });
  const r = rows[0];
  return r ? { id: r.id, rateMicro: r.rate_micro, effectiveAt: r.effective_at } : null;
}
