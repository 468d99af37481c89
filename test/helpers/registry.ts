import { expect } from 'vitest';
import type pg from 'pg';
import { PurseError } from '../../src/errors.js';

/** Every registry table, in an order that lists parents first. */
export const REGISTRY_TABLES = [
  'issuers', 'schemes', 'exchange_rates', 'alliances', 'programs', 'merchants', 'merchant_alliances',
  'merchant_programs', 'merchant_schemes', 'terminals', 'channels', 'channel_merchants',
] as const;

/** The full content of the registry tables, rows sorted, as JSON text per table. */
export async function registryDump(db: Pick<pg.Pool, 'query'>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of REGISTRY_TABLES) {
    const { rows } = await db.query<{ rows: string }>(
      `select coalesce(json_agg(to_jsonb(x) order by to_jsonb(x)::text), '[]')::text as rows from ${t} x`);
    out[t] = rows[0]!.rows;
  }
  return out;
}

/**
 * Runs `fn`, which must fail with a Purse input error (exit 1) naming `field` (the CLI prints it as
 * `(field: <field>)`), and asserts the registry is exactly as it was before.
 */
export async function expectRefused(db: Pick<pg.Pool, 'query'>, fn: () => Promise<unknown>, field: string): Promise<PurseError> {
  const before = await registryDump(db);
  const err = await fn().then(() => undefined, (e: unknown) => e);
  expect(err, `expected a refusal naming ${field}`).toBeInstanceOf(PurseError);
  const e = err as PurseError;
  expect(e.field).toBe(field);
  expect(e.exitCode).toBe(1);
  expect(await registryDump(db)).toEqual(before);
  return e;
}
