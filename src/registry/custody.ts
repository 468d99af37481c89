import type { Context } from '../context.js';
import { auditPg, type Actor } from '../admin/audit.js';
import { withTransaction } from '../db/tx.js';
import { InputError, NotFoundError } from '../errors.js';
import * as v from './validate.js';

/** A quarter `YYYYQn` and its first and last calendar dates. */
export interface Quarter { quarter: string; first: string; last: string }

/** Parses `YYYYQn` (InputError naming `field`). */
export function quarterOption(value: unknown, field = '--quarter'): Quarter {
  if (typeof value !== 'string' || !/^[0-9]{4}Q[1-4]$/.test(value)) throw new InputError('invalid_option', `${field} must be a quarter YYYYQn (e.g. 2026Q2)`, field);
  const y = Number(value.slice(0, 4));
  const q = Number(value.slice(5));
  const first = new Date(Date.UTC(y, (q - 1) * 3, 1)).toISOString().slice(0, 10);
  const last = new Date(Date.UTC(y, q * 3, 0)).toISOString().slice(0, 10);
  return { quarter: value, first, last };
}

/** The quarter before `q`. */
export function previousQuarter(q: Quarter): Quarter {
  const y = Number(q.quarter.slice(0, 4));
  const n = Number(q.quarter.slice(5));
  return quarterOption(n === 1 ? `${y - 1}Q4` : `${y}Q${n - 1}`);
}

export interface CustodyRecord { issuer: string; quarter: string; currency: string; amount: number }

/**
 * `purse issuer custody --issuer I --quarter YYYYQn --amount A`: records the custody balance
 * (minor units, ≥ 0) issuer I holds for quarter n; recording again replaces it.
 */
export async function recordCustody(ctx: Context, input: { issuer: unknown; quarter: unknown; amount: unknown; currency?: unknown }, actor?: Actor): Promise<CustodyRecord> {
  const code = v.code(input.issuer, 'issuer');
  const { quarter } = quarterOption(input.quarter);
  if (typeof input.amount !== 'string' && typeof input.amount !== 'number') throw new InputError('invalid_number', 'amount must be a whole number of minor units (fen)', 'amount');
  if (!/^[0-9]{1,15}$/.test(String(input.amount))) throw new InputError('invalid_number', 'amount must be a whole number of minor units (fen), 0 or more', 'amount');
  const amount = Number(input.amount);
  const currency = input.currency === undefined ? 'CNY' : v.currency(input.currency);
  return withTransaction(ctx.db.pg, async (client) => {
    const { rows } = await client.query<{ issuer_id: number }>(`
      insert into issuer_custody (issuer_id, quarter, currency, amount)
      select id, $2, $3, $4 from issuers where code = $1
      -- excluded.recorded_at: the column's default now(); Citus refuses now() itself in the DO UPDATE of a reference table
      on conflict (issuer_id, quarter, currency) do update set amount = excluded.amount, recorded_at = excluded.recorded_at
      returning issuer_id`, [code, quarter, currency, amount]);
    if (rows.length === 0) throw new NotFoundError('issuer', code, 'issuer');
    const record = { issuer: code, quarter, currency, amount };
    if (actor) await auditPg(client, ctx, actor, { action: 'issuer.custody', target: `issuer:${code}`, outcome: 'ok', after: record });
    return record;
  });
}
