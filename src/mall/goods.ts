/** A merchant's redeemable goods (可兑换商品, design §10): catalogue CRUD and the cardholder's listing. */
import type pg from 'pg';
import type { Context } from '../context.js';
import { withTransaction } from '../db/tx.js';
import { sqlState } from '../db/errors.js';
import { InputError, NotFoundError } from '../errors.js';
import { auditPg, type Actor } from '../admin/audit.js';
import { localTime } from '../admin/time.js';
import { WEB_SEAT } from '../admin/web-seat.js';

export interface Goods {
  id: number; merchant: string; code: string; name: string; points_price: number | null; scheme: string | null; cash_price: number | null;
  stock: number; active_from: string | null; active_to: string | null;
}

export interface GoodsInput {
  code?: string; name?: string; points_price?: number | null; cash_price?: number | null; stock?: number;
  active_from?: string | null; active_to?: string | null;
}

const SELECT = `select g.id, m.code as merchant, g.code, g.name, g.points_price, s.code as scheme, g.cash_price, g.stock, g.active_from, g.active_to
  from goods g join merchants m on m.id = g.merchant_id left join schemes s on s.id = g.scheme_id`;
type Row = Omit<Goods, 'active_from' | 'active_to'> & { active_from: Date | null; active_to: Date | null };

function shape(ctx: Context, r: Row): Goods {
  const t = (d: Date | null) => (d === null ? null : localTime(d, ctx.config.timezone));
  return { ...r, points_price: r.points_price === null ? null : Number(r.points_price), cash_price: r.cash_price === null ? null : Number(r.cash_price), active_from: t(r.active_from), active_to: t(r.active_to) };
}

function instant(v: string | null | undefined, field: string): Date | null | undefined {
  if (v === undefined || v === null) return v;
  const d = new Date(v);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(v) || Number.isNaN(d.getTime())) {
    throw new InputError('invalid_time', `${field} must be an ISO 8601 time with offset, e.g. 2026-01-01T00:00:00+08:00`, field);
  }
  return d;
}

/**
 * The merchant's WEB-SEAT terminal: orders are redeemed through the pipeline at the goods'
 * merchant on channel WEB-SEAT, and a message names a terminal of its merchant (58 otherwise).
 */
export async function ensureWebSeatTerminal(c: pg.ClientBase, merchantId: number): Promise<void> {
  await c.query('insert into terminals (merchant_id, code) values ($1, $2) on conflict (merchant_id, code) do nothing', [merchantId, WEB_SEAT]);
}

/**
 * Adds goods to a merchant's catalogue. A points price is in the merchant's earn scheme (a merchant
 * without one sells for value only: 400 naming points_price); at least one price is needed. Audited.
 */
export async function addGoods(ctx: Context, merchantId: number, input: GoodsInput, actor: Actor): Promise<Goods> {
  if ((input.points_price ?? null) === null && (input.cash_price ?? null) === null) throw new InputError('invalid_price', 'give points_price, cash_price or both', 'points_price');
  const from = instant(input.active_from, 'active_from') ?? null;
  const to = instant(input.active_to, 'active_to') ?? null;
  if (from && to && to <= from) throw new InputError('invalid_window', 'active_to must be after active_from', 'active_to');
  try {
    return await withTransaction(ctx.db.pg, async (c) => {
      const { rows: m } = await c.query<{ earn_scheme_id: number | null }>('select earn_scheme_id from merchants where id = $1', [merchantId]);
      if ((input.points_price ?? null) !== null && m[0]?.earn_scheme_id == null) throw new InputError('no_scheme', 'the merchant has no points scheme: sell for value (cash_price) only', 'points_price');
      const { rows } = await c.query<{ id: number }>(
        `insert into goods (merchant_id, code, name, points_price, scheme_id, cash_price, stock, active_from, active_to, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id`,
        [merchantId, input.code, input.name, input.points_price ?? null, (input.points_price ?? null) === null ? null : m[0]!.earn_scheme_id, input.cash_price ?? null, input.stock, from, to, ctx.clock.now()]);
      await ensureWebSeatTerminal(c, merchantId);
      const g = await one(ctx, c, rows[0]!.id);
      await auditPg(c, ctx, actor, { action: 'goods.add', target: `goods:${g.id}`, outcome: 'ok', after: g });
      return g;
    });
  } catch (err) {
    if (sqlState(err) === '23505') throw new InputError('duplicate', `goods ${JSON.stringify(input.code)} already exist at this merchant`, 'code');
    throw err;
  }
}

async function one(ctx: Context, db: pg.ClientBase | pg.Pool, id: number): Promise<Goods> {
  const { rows } = await db.query<Row>(`${SELECT} where g.id = $1 and g.deleted_at is null`, [id]);
  if (!rows[0]) throw new NotFoundError('goods', String(id), 'id');
  return shape(ctx, rows[0]);
}

/** The merchant owning goods (scope check); null when none or deleted. */
export async function goodsOwner(ctx: Context, id: number): Promise<{ merchantId: number } | null> {
  const { rows } = await ctx.db.pg.query<{ merchant_id: number }>('select merchant_id from goods where id = $1 and deleted_at is null', [id]);
  return rows[0] ? { merchantId: rows[0].merchant_id } : null;
}

/**
 * Changes goods (name, prices, stock, window) under the row lock orders take, so a stock set here
 * and a reservation never interleave. A points price keeps the goods' scheme (or takes the merchant's). Audited.
 */
export async function updateGoods(ctx: Context, id: number, patch: GoodsInput, actor: Actor): Promise<Goods> {
  return withTransaction(ctx.db.pg, async (c) => {
    const before = await one(ctx, c, id);
    await c.query('select 1 from goods where id = $1 for update', [id]);
    const next = { ...before, ...patch };
    if (next.points_price === null && next.cash_price === null) throw new InputError('invalid_price', 'goods keep at least one price', 'points_price');
    const from = patch.active_from === undefined ? undefined : instant(patch.active_from, 'active_from');
    const to = patch.active_to === undefined ? undefined : instant(patch.active_to, 'active_to');
    const scheme = next.points_price === null ? null : (await c.query<{ s: number | null }>(
      'select coalesce(g.scheme_id, m.earn_scheme_id) as s from goods g join merchants m on m.id = g.merchant_id where g.id = $1', [id])).rows[0]!.s;
    if (next.points_price !== null && scheme === null) throw new InputError('no_scheme', 'the merchant has no points scheme: sell for value (cash_price) only', 'points_price');
    await c.query(
      `update goods set name = $2, points_price = $3, scheme_id = $4, cash_price = $5, stock = $6,
         active_from = case when $7::boolean then $8::timestamptz else active_from end, active_to = case when $9::boolean then $10::timestamptz else active_to end
       where id = $1`,
      [id, next.name, next.points_price, scheme, next.cash_price, next.stock, from !== undefined, from ?? null, to !== undefined, to ?? null]).catch((err: unknown) => {
      if (sqlState(err) === '23514') throw new InputError('invalid_window', 'active_to must be after active_from', 'active_to');
      throw err;
    });
    const after = await one(ctx, c, id);
    await auditPg(c, ctx, actor, { action: 'goods.update', target: `goods:${id}`, outcome: 'ok', before, after });
    return after;
  });
}

/** Removes goods from the catalogue (kept for the orders that name them). Audited. */
export async function deleteGoods(ctx: Context, id: number, actor: Actor): Promise<void> {
  await withTransaction(ctx.db.pg, async (c) => {
    const before = await one(ctx, c, id);
    await c.query('update goods set deleted_at = $2 where id = $1', [id, ctx.clock.now()]);
    await auditPg(c, ctx, actor, { action: 'goods.delete', target: `goods:${id}`, outcome: 'ok', before });
  });
}

/** A merchant's catalogue (every goods not deleted), id order. */
export async function merchantGoods(ctx: Context, merchantId: number, afterId: number, limit: number): Promise<Goods[]> {
  const { rows } = await ctx.db.pg.query<Row>(`${SELECT} where g.merchant_id = $1 and g.deleted_at is null and g.id > $2 order by g.id limit $3`, [merchantId, afterId, limit]);
  return rows.map((r) => shape(ctx, r));
}

/**
 * What a holder may order: goods active now, in stock, at a merchant that accepts the program of
 * one of the holder's active cards (value), or whose scheme one of its cards holds or earns (points).
 * The holder's cards and their points accounts are read first, and the goods (registry tables)
 * matched against them: on Citus (design §9) cards are distributed and goods a reference table,
 * where a subquery over cards correlated with a goods row is refused.
 */
export async function availableGoods(ctx: Context, holderId: number, afterId: number, limit: number): Promise<Goods[]> {
  const { rows: cards } = await ctx.db.pg.query<{ id: number; program_id: number }>(
    "select id, program_id from cards where holder_id = $1 and status = 'active'", [holderId]);
  if (cards.length === 0) return [];
  const { rows: held } = await ctx.db.pg.query<{ card_id: number; asset: string }>(
    "select card_id, asset from card_accounts where card_id = any($1::bigint[]) and asset like 'PTS:%'", [cards.map((c) => c.id)]);
  const { rows } = await ctx.db.pg.query<Row>(`${SELECT}
    where g.deleted_at is null and g.stock > 0 and (g.active_from is null or g.active_from <= $1) and (g.active_to is null or g.active_to > $1)
      and exists (
        select 1 from unnest($4::bigint[], $5::bigint[]) as c(id, program_id) join programs p on p.id = c.program_id
        where (not exists (select 1 from merchant_programs mp where mp.merchant_id = g.merchant_id) or exists (select 1 from merchant_programs mp where mp.merchant_id = g.merchant_id and mp.program_id = p.id))
          and ((g.cash_price is not null and p.kind <> 'points')
               or (g.points_price is not null and (p.scheme_id = g.scheme_id or exists (
                 select 1 from unnest($6::bigint[], $7::text[]) as a(card_id, asset) where a.card_id = c.id and a.asset = 'PTS:' || s.code)))))
      and g.id > $2
    order by g.id limit $3`, [ctx.clock.now(), afterId, limit, cards.map((c) => c.id), cards.map((c) => c.program_id), held.map((h) => h.card_id), held.map((h) => h.asset)]);
  return rows.map((r) => shape(ctx, r));
}
