import { sql } from 'slonik';
import type { Context } from '../context.js';
import * as v from './validate.js';
import { idOf, insertUnique } from './lookup.js';
import { NotFoundError } from '../errors.js';

export interface Alliance { id: number; code: string; name: string; scheme: string | null; merchants: string[]; created_at: string }

const SELECT = sql.fragment`
  select a.id, a.code, a.name, s.code as scheme, a.created_at,
         coalesce((select array_agg(m.code order by m.code) from merchant_alliances ma join merchants m on m.id = ma.merchant_id
                   where ma.alliance_id = a.id), '{}') as merchants
  from alliances a left join schemes s on s.id = a.scheme_id`;

/** Registers an alliance, optionally with its points scheme (accepted by every member). */
export async function addAlliance(ctx: Context, input: { code: unknown; name?: unknown; scheme?: unknown }): Promise<Alliance> {
  const code = v.code(input.code);
  const name = v.name(input.name ?? code);
  const schemeCode = input.scheme ? v.code(input.scheme, 'scheme') : null;
  return ctx.db.sql.transaction(async (tx) => {
    const schemeId = schemeCode ? await idOf(tx, 'schemes', schemeCode, 'scheme') : null;
    await insertUnique('alliance', code, 'code', () => tx.query(sql.unsafe`insert into alliances (code, name, scheme_id) values (${code}, ${name}, ${schemeId})`));
    return (await tx.one(sql.unsafe`${SELECT} where a.code = ${code}`)) as Alliance;
  });
}

export async function listAlliances(ctx: Context): Promise<Alliance[]> {
  return (await ctx.db.sql.any(sql.unsafe`${SELECT} order by a.code`)) as Alliance[];
}

export async function showAlliance(ctx: Context, code: string): Promise<Alliance> {
  const row = await ctx.db.sql.maybeOne(sql.unsafe`${SELECT} where a.code = ${code}`);
  if (!row) throw new NotFoundError('alliance', code, 'code');
  return row as Alliance;
}
