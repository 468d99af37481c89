import { sql } from 'slonik';
import type { Context } from '../context.js';
import { auditSql, type Actor } from '../admin/audit.js';
import * as v from './validate.js';
import { insertUnique } from './lookup.js';
import { NotFoundError } from '../errors.js';

/** Custody classes of design §6b (MOFCOM Order 2012 No. 9, art. 26). */
export const CUSTODY_CLASSES = ['scale', 'group', 'brand', 'other'] as const;
export type CustodyClass = (typeof CUSTODY_CLASSES)[number];

export interface Issuer { id: number; code: string; name: string; is_operator: boolean; custody_class: CustodyClass; created_at: string }

const COLUMNS = sql.fragment`id, code, name, is_operator, custody_class, created_at`;

/**
 * Registers an issuer. `operator` marks the platform's own issuer (at most one); `custodyClass`
 * defaults to other. With an `actor`, audited in the same transaction.
 */
export async function addIssuer(ctx: Context, input: { code: unknown; name?: unknown; operator?: unknown; custodyClass?: unknown }, actor?: Actor): Promise<Issuer> {
  const code = v.code(input.code);
  const name = v.name(input.name ?? code);
  const operator = input.operator === undefined ? false : v.bool(input.operator, 'operator');
  const custody = input.custodyClass === undefined ? 'other' : v.oneOf(input.custodyClass, 'custody_class', CUSTODY_CLASSES);
  return ctx.db.sql.transaction(async (tx) => {
    const issuer = (await insertUnique('issuer', code, 'code', () =>
      tx.one(sql.unsafe`insert into issuers (code, name, is_operator, custody_class) values (${code}, ${name}, ${operator}, ${custody}) returning ${COLUMNS}`),
    { issuers_one_operator: { field: 'operator', message: 'an operator issuer already exists (the platform is one issuer)' } },
    )) as Issuer;
    if (actor) await auditSql(tx, ctx, actor, { action: 'issuer.add', target: `issuer:${code}`, outcome: 'ok', after: issuer });
    return issuer;
  });
}

export async function listIssuers(ctx: Context): Promise<Issuer[]> {
  return (await ctx.db.sql.any(sql.unsafe`select ${COLUMNS} from issuers order by code`)) as Issuer[];
}

export async function showIssuer(ctx: Context, code: string): Promise<Issuer> {
  const row = await ctx.db.sql.maybeOne(sql.unsafe`select ${COLUMNS} from issuers where code = ${code}`);
  if (!row) throw new NotFoundError('issuer', code, 'code');
  return row as Issuer;
}

/** Changes an issuer's name and/or custody class; NotFoundError for an unknown code. */
export async function updateIssuer(ctx: Context, input: { code: unknown; name?: unknown; custodyClass?: unknown }, actor?: Actor): Promise<Issuer> {
  const code = v.code(input.code);
  const name = input.name === undefined ? null : v.name(input.name);
  const custody = input.custodyClass === undefined ? null : v.oneOf(input.custodyClass, 'custody_class', CUSTODY_CLASSES);
  return ctx.db.sql.transaction(async (tx) => {
    const row = await tx.maybeOne(sql.unsafe`
      update issuers set name = coalesce(${name}, name), custody_class = coalesce(${custody}, custody_class)
      where code = ${code} returning ${COLUMNS}`);
    if (!row) throw new NotFoundError('issuer', code, 'code');
    if (actor) await auditSql(tx, ctx, actor, { action: 'issuer.update', target: `issuer:${code}`, outcome: 'ok', after: row });
    return row as Issuer;
  });
}
