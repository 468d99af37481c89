import { sql } from 'slonik';
import type { Context } from '../context.js';
import * as v from './validate.js';
import { insertUnique } from './lookup.js';
import { InputError, NotFoundError } from '../errors.js';
import { auditSql, type Actor } from '../admin/audit.js';
import { showMerchant, type Merchant, type Terminal } from './merchants.js';

/** Changes a merchant's profile (name, commission); audited in the same transaction. */
export async function updateMerchant(ctx: Context, code: string, patch: { name?: unknown; commissionBps?: unknown }, actor: Actor): Promise<Merchant> {
  const name = patch.name === undefined ? null : v.name(patch.name);
  const commission = patch.commissionBps === undefined ? null : v.int(patch.commissionBps, 'commission_bps', 0, 10000);
  const before = await showMerchant(ctx, code);
  await ctx.db.sql.transaction(async (tx) => {
    await tx.query(sql.unsafe`update merchants set name = coalesce(${name}, name), commission_bps = coalesce(${commission}, commission_bps) where code = ${code}`);
    await auditSql(tx, ctx, actor, { action: 'merchant.update', target: `merchant:${code}`, outcome: 'ok',
      before: { name: before.name, commission_bps: before.commission_bps }, after: { name: name ?? before.name, commission_bps: commission ?? before.commission_bps } });
  });
  return showMerchant(ctx, code);
}

const TERMINAL = sql.fragment`select t.id, t.code, m.code as merchant, t.created_at from terminals t join merchants m on m.id = t.merchant_id`;

/** One terminal by id (404 when none). */
export async function terminalById(ctx: Context, id: number): Promise<Terminal> {
  const row = await ctx.db.sql.maybeOne(sql.unsafe`${TERMINAL} where t.id = ${id}`);
  if (!row) throw new NotFoundError('terminal', String(id), 'id');
  return row as Terminal;
}

/** Renames a terminal (codes stay unique per merchant); audited. */
export async function updateTerminal(ctx: Context, id: number, patch: { code: unknown }, actor: Actor): Promise<Terminal> {
  const code = v.code(patch.code);
  const before = await terminalById(ctx, id);
  return ctx.db.sql.transaction(async (tx) => {
    await insertUnique(`terminal of ${before.merchant}`, code, 'code', () => tx.query(sql.unsafe`update terminals set code = ${code} where id = ${id}`));
    const after = (await tx.one(sql.unsafe`${TERMINAL} where t.id = ${id}`)) as Terminal;
    await auditSql(tx, ctx, actor, { action: 'terminal.update', target: `terminal:${id}`, outcome: 'ok', before, after });
    return after;
  });
}

/**
 * Removes a terminal that never took a transaction (one that did stays: its history names it;
 * 409 problem naming `id`); audited.
 */
export async function deleteTerminal(ctx: Context, id: number, actor: Actor): Promise<void> {
  const before = await terminalById(ctx, id);
  await ctx.db.sql.transaction(async (tx) => {
    const used = await tx.maybeOne(sql.unsafe`select 1 from transactions where terminal_id = ${id} limit 1`);
    if (used) throw new InputError('duplicate', `terminal ${before.merchant}/${before.code} has transactions and stays`, 'id');
    await tx.query(sql.unsafe`delete from terminals where id = ${id}`);
    await auditSql(tx, ctx, actor, { action: 'terminal.delete', target: `terminal:${id}`, outcome: 'ok', before });
  });
}
