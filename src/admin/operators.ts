import type pg from 'pg';
import type { Context } from '../context.js';
import { withTransaction } from '../db/tx.js';
import { InputError, NotFoundError } from '../errors.js';
import { auditPg, type Actor } from './audit.js';
import { checkPasswordRules, hashPassword } from './passwords.js';
import { ROLES, type Role } from './roles.js';
import { localTime } from './time.js';

export interface Operator {
  id: number; username: string; role: Role; merchant: string | null; issuer: string | null;
  disabled: boolean; locked_until: string | null; created_at: string;
}

const SELECT = `select o.id, o.username, o.role, m.code as merchant, i.code as issuer, o.disabled_at, o.locked_until, o.created_at,
  o.merchant_id, o.issuer_id
  from operators o left join merchants m on m.id = o.merchant_id left join issuers i on i.id = o.issuer_id`;

type Row = { id: number; username: string; role: Role; merchant: string | null; issuer: string | null; disabled_at: Date | null;
  locked_until: Date | null; created_at: Date; merchant_id: number | null; issuer_id: number | null };

function shape(ctx: Context, r: Row): Operator & { merchant_id: number | null; issuer_id: number | null } {
  const tz = ctx.config.timezone;
  return {
    id: r.id, username: r.username, role: r.role, merchant: r.merchant, issuer: r.issuer, disabled: r.disabled_at !== null,
    locked_until: r.locked_until && r.locked_until > ctx.clock.now() ? localTime(r.locked_until, tz) : null,
    created_at: localTime(r.created_at, tz), merchant_id: r.merchant_id, issuer_id: r.issuer_id,
  };
}

/** Public view of an operator (without internal ids). */
export function publicOperator(o: Operator): Operator {
  return { id: o.id, username: o.username, role: o.role, merchant: o.merchant, issuer: o.issuer, disabled: o.disabled, locked_until: o.locked_until, created_at: o.created_at };
}

export interface OperatorInput { username: string; role: string; merchant?: string | null; issuer?: string | null; password: string }

async function codeId(c: pg.ClientBase, table: 'merchants' | 'issuers', code: string, field: string): Promise<number> {
  const { rows } = await c.query<{ id: number }>(`select id from ${table} where code = $1`, [code]);
  if (!rows[0]) throw new NotFoundError(field, code, field);
  return rows[0].id;
}

/**
 * Creates an operator: merchant roles need `merchant`, issuer_ops needs `issuer`, no other role
 * takes either. The password is hashed with scrypt; the audit record never holds it.
 */
export async function addOperator(ctx: Context, input: OperatorInput, actor: Actor): Promise<Operator> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/.test(input.username)) throw new InputError('invalid_username', 'username: 1–64 of A-Z a-z 0-9 _ . @ -', 'username');
  if (!(ROLES as readonly string[]).includes(input.role)) throw new InputError('invalid_role', `role must be one of ${ROLES.join(', ')}`, 'role');
  // A cardholder login belongs to a holder: created only by `purse holder add` / POST /holders.
  if (input.role === 'cardholder') throw new InputError('invalid_role', 'cardholder logins are created with their holder (purse holder add)', 'role');
  const merchantRole = input.role === 'merchant_admin' || input.role === 'merchant_operator';
  if (merchantRole !== Boolean(input.merchant)) throw new InputError('scope', merchantRole ? 'merchant roles need a merchant' : 'only merchant roles take a merchant', 'merchant');
  if ((input.role === 'issuer_ops') !== Boolean(input.issuer)) throw new InputError('scope', input.role === 'issuer_ops' ? 'issuer_ops needs an issuer' : 'only issuer_ops takes an issuer', 'issuer');
  checkPasswordRules(input.password);
  const hash = await hashPassword(input.password);
  return withTransaction(ctx.db.pg, async (c) => {
    const merchantId = input.merchant ? await codeId(c, 'merchants', input.merchant, 'merchant') : null;
    const issuerId = input.issuer ? await codeId(c, 'issuers', input.issuer, 'issuer') : null;
    const { rows } = await c.query<{ id: number }>(
      `insert into operators (username, role, merchant_id, issuer_id, password_hash, created_at) values ($1, $2, $3, $4, $5, $6)
       on conflict (username) do nothing returning id`, [input.username, input.role, merchantId, issuerId, hash, ctx.clock.now()]);
    if (!rows[0]) throw new InputError('duplicate', `operator ${JSON.stringify(input.username)} already exists`, 'username');
    const op = await byId(ctx, c, rows[0].id);
    await auditPg(c, ctx, actor, { action: 'operator.add', target: `operator:${op.username}`, outcome: 'ok', after: publicOperator(op) });
    return op;
  });
}

async function byId(ctx: Context, c: pg.ClientBase | pg.Pool, id: number) {
  const { rows } = await c.query<Row>(`${SELECT} where o.id = $1`, [id]);
  if (!rows[0]) throw new NotFoundError('operator', String(id), 'id');
  return shape(ctx, rows[0]);
}

/** One operator by id or username (404 when none). */
export async function showOperator(ctx: Context, key: number | string) {
  const { rows } = await ctx.db.pg.query<Row>(`${SELECT} where ${typeof key === 'number' ? 'o.id = $1' : 'o.username = $1'}`, [key]);
  if (!rows[0]) throw new NotFoundError('operator', String(key), typeof key === 'number' ? 'id' : 'username');
  return shape(ctx, rows[0]);
}

/** Operators (of one merchant when given), by id, from `afterId`. */
export async function listOperators(ctx: Context, q: { merchantId?: number | null; afterId?: number; limit?: number } = {}) {
  const { rows } = await ctx.db.pg.query<Row>(`${SELECT} where ($1::bigint is null or o.merchant_id = $1) and o.id > $2 order by o.id limit $3`,
    [q.merchantId ?? null, q.afterId ?? 0, q.limit ?? 100_000]);
  return rows.map((r) => shape(ctx, r));
}

/**
 * Changes an operator: `disabled` (a disabled operator cannot log in and its sessions end) and/or
 * `role` (the scope must still fit the role: the database refuses otherwise).
 */
export async function updateOperator(ctx: Context, id: number, patch: { disabled?: boolean; role?: Role }, actor: Actor): Promise<Operator> {
  return withTransaction(ctx.db.pg, async (c) => {
    const before = await byId(ctx, c, id);
    const role = patch.role ?? before.role;
    const merchantRole = role === 'merchant_admin' || role === 'merchant_operator';
    if (merchantRole !== (before.merchant_id !== null) || (role === 'issuer_ops') !== (before.issuer_id !== null) || (role === 'cardholder') !== (before.role === 'cardholder')) {
      throw new InputError('scope', `role ${role} does not fit this operator's scope`, 'role');
    }
    const now = ctx.clock.now();
    await c.query(`update operators set role = $2, disabled_at = case when $3::boolean is null then disabled_at when $3 then coalesce(disabled_at, $4) else null end where id = $1`,
      [id, role, patch.disabled ?? null, now]);
    if (patch.disabled) await c.query('update operator_sessions set ended_at = $2 where operator_id = $1 and ended_at is null', [id, now]);
    const after = await byId(ctx, c, id);
    await auditPg(c, ctx, actor, { action: 'operator.update', target: `operator:${after.username}`, outcome: 'ok', before: publicOperator(before), after: publicOperator(after) });
    return after;
  });
}

/** Sets a new password (reset by an administrator or one's own change), clears a lock and ends other sessions. */
export async function setPassword(ctx: Context, id: number, password: string, actor: Actor, opts: { keepSession?: number | null; action?: string; field?: string } = {}): Promise<void> {
  checkPasswordRules(password, opts.field);
  const hash = await hashPassword(password);
  await withTransaction(ctx.db.pg, async (c) => {
    const op = await byId(ctx, c, id);
    await c.query('update operators set password_hash = $2, failed_logins = 0, locked_until = null where id = $1', [id, hash]);
    await c.query('update operator_sessions set ended_at = $3 where operator_id = $1 and ended_at is null and id is distinct from $2', [id, opts.keepSession ?? null, ctx.clock.now()]);
    await auditPg(c, ctx, actor, { action: opts.action ?? 'operator.reset_password', target: `operator:${op.username}`, outcome: 'ok' });
  });
}
