import { sql } from 'slonik';
import type { Context } from '../context.js';
import { auditSql, type Actor } from '../admin/audit.js';
import * as v from './validate.js';
import { insertUnique } from './lookup.js';
import { NotFoundError } from '../errors.js';

export interface Issuer { id: number; code: string; name: string; is_operator: boolean; created_at: string }

const COLUMNS = sql.fragment`id, code, name, is_operator, created_at`;

/** Registers an issuer. `operator` marks the platform's own issuer (at most one). With an `actor`, audited in the same transaction. */
export async function addIssuer(ctx: Context, input: { code: unknown; name?: unknown; operator?: unknown }, actor?: Actor): Promise<Issuer> {
  const code = v.code(input.code);
  const name = v.name(input.name ?? code);
  const operator = input.operator === undefined ? false : v.bool(input.operator, 'operator');
  return ctx.db.sql.transaction(async (tx) => {
    const issuer = (await insertUnique('issuer', code, 'code', () =>
      tx.one(sql.unsafe`insert into issuers (code, name, is_operator) values (${code}, ${name}, ${operator}) returning ${COLUMNS}`),
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
