/**
 * Online points and currency orders (在线积分订单 / 在线货币订单, design §10). An order never
 * leaves stock reserved without payment nor payment without an order:
 *   1. one transaction reserves the stock (row lock, `stock >= quantity`) and inserts the order `pending`;
 *   2. the payment goes through the transaction core with request id `order-<id>`;
 *   3. one transaction moves the order `pending` → `placed`, or → `declined` giving the stock back.
 * A crash between 1 and 3 leaves a `pending` order that `resolveStaleOrders` finishes by replaying
 * the same request id (the core answers a repeat with its stored answer, or processes it now).
 * Cancelling works the same way through `cancelling` with the void/refund of payment.ts.
 */
import crypto from 'node:crypto';
import type pg from 'pg';
import type { Context } from '../context.js';
import type { TransactionCore } from '../daemon/core.js';
import type { TxnResponse } from '../daemon/work-item.js';
import { withTransaction } from '../db/tx.js';
import { decrypt, encrypt } from '../cards/vault.js';
import { maskedPan } from '../cards/card-ref.js';
import { auditPg, type Actor } from '../admin/audit.js';
import { Problem, notFound } from '../admin/problem.js';
import { localTime } from '../admin/time.js';
import { PAYMENT_SQL, pay, payBack, type OrderPayment } from './payment.js';

export interface OrderView {
  id: number; status: string; card: { id: number; masked: string }; goods: { id: number; code: string; name: string }; merchant: string;
  quantity: number; pay: 'points' | 'value'; amount: number; asset: string; pickup_code?: string; response_code: string | null;
  transaction_id: number | null; cancel_transaction_id: number | null;
  created_at: string; placed_at: string | null; fulfilled_at: string | null; cancelled_at: string | null;
}

export interface OrderInput { card_id: number; goods_id: number; quantity: number; pay: 'points' | 'value' }

const SELECT = `select o.id, o.status, o.card_id, c.pan_last4, p.bin, p.pan_length, p.currency, o.goods_id, g.code as goods_code, g.name as goods_name, s.code as scheme,
    m.code as merchant, o.quantity, o.pay, o.amount, o.pickup_cipher, o.key_id, o.response_code, o.transaction_id, o.cancel_transaction_id,
    o.created_at, o.placed_at, o.fulfilled_at, o.cancelled_at, o.holder_id, o.merchant_id
  from orders o join cards c on c.id = o.card_id join programs p on p.id = c.program_id join goods g on g.id = o.goods_id
  join merchants m on m.id = o.merchant_id left join schemes s on s.id = g.scheme_id`;

type Row = {
  id: number; status: string; card_id: number; pan_last4: string; bin: string; pan_length: number; currency: string; goods_id: number; goods_code: string; goods_name: string;
  scheme: string | null; merchant: string; quantity: number; pay: 'points' | 'value'; amount: number; pickup_cipher: Buffer | null; key_id: string | null;
  response_code: string | null; transaction_id: number | null; cancel_transaction_id: number | null; created_at: Date; placed_at: Date | null;
  fulfilled_at: Date | null; cancelled_at: Date | null; holder_id: number; merchant_id: number;
};

function shape(ctx: Context, r: Row, withPickup: boolean): OrderView {
  const t = (d: Date | null) => (d === null ? null : localTime(d, ctx.config.timezone));
  return {
    id: r.id, status: r.status, card: { id: r.card_id, masked: maskedPan(r.bin, r.pan_length, r.pan_last4) },
    goods: { id: r.goods_id, code: r.goods_code, name: r.goods_name }, merchant: r.merchant, quantity: r.quantity, pay: r.pay, amount: Number(r.amount),
    asset: r.pay === 'points' ? `PTS:${r.scheme}` : r.currency,
    ...(withPickup && r.pickup_cipher && r.key_id && r.status === 'placed' ? { pickup_code: decrypt(ctx.keys, r.pickup_cipher, r.key_id) } : {}),
    response_code: r.response_code, transaction_id: r.transaction_id, cancel_transaction_id: r.cancel_transaction_id,
    created_at: t(r.created_at)!, placed_at: t(r.placed_at), fulfilled_at: t(r.fulfilled_at), cancelled_at: t(r.cancelled_at),
  };
}

async function view(ctx: Context, id: number, withPickup: boolean): Promise<OrderView> {
  const { rows } = await ctx.db.pg.query<Row>(`${SELECT} where o.id = $1`, [id]);
  return shape(ctx, rows[0]!, withPickup);
}

/** The owner of an order for the scope check: its holder and merchant (null: none). */
export async function orderOwner(ctx: Context, id: number): Promise<{ holderId: number; merchantId: number } | null> {
  const { rows } = await ctx.db.pg.query<{ holder_id: number; merchant_id: number }>('select holder_id, merchant_id from orders where id = $1', [id]);
  return rows[0] ? { holderId: rows[0].holder_id, merchantId: rows[0].merchant_id } : null;
}

const declined = (r: TxnResponse, orderId: number, what: string) =>
  new Problem(409, `declined_${r.response_code}`, `${what} declined ${r.response_code}: ${r.message}`, { extra: { code: r.response_code, order_id: orderId } });

/**
 * Places a holder's order (201 `placed` with its pickup code): the card must be the holder's (404
 * naming card_id); goods unknown 404, not on sale now 409 code 12, no price for `pay` 400 naming
 * pay, stock short 409 code 05 (nothing reserved); a payment the core declines (51 insufficient
 * points or value, 41 lost card, …) 409 with that code, the stock given back.
 */
export async function placeOrder(ctx: Context, core: TransactionCore, holderId: number, actor: Actor, input: OrderInput): Promise<OrderView> {
  const { rows: cards } = await ctx.db.pg.query<{ holder_id: number | null }>('select holder_id from cards where id = $1', [input.card_id]);
  if (!cards[0] || cards[0].holder_id !== holderId) throw new Problem(404, 'not_found', 'no such card', { field: 'card_id' });
  const orderId = await withTransaction(ctx.db.pg, async (c) => {
    const now = ctx.clock.now();
    const { rows } = await c.query<{ merchant_id: number; points_price: number | null; cash_price: number | null; stock: number; active_from: Date | null; active_to: Date | null; deleted_at: Date | null }>(
      'select merchant_id, points_price, cash_price, stock, active_from, active_to, deleted_at from goods where id = $1 for update', [input.goods_id]);
    const g = rows[0];
    if (!g || g.deleted_at) throw new Problem(404, 'not_found', 'no such goods', { field: 'goods_id' });
    if ((g.active_from && g.active_from > now) || (g.active_to && g.active_to <= now)) {
      throw new Problem(409, 'not_on_sale', 'the goods are not on sale now', { field: 'goods_id', extra: { code: '12' } });
    }
    const price = input.pay === 'points' ? g.points_price : g.cash_price;
    if (price === null) throw new Problem(400, 'invalid_request', `these goods are not sold for ${input.pay}`, { field: 'pay' });
    const amount = Number(price) * input.quantity;
    if (!Number.isSafeInteger(amount)) throw new Problem(400, 'invalid_request', 'quantity: the total is too large', { field: 'quantity' });
    if (g.stock < input.quantity) throw new Problem(409, 'out_of_stock', `only ${g.stock} left`, { field: 'quantity', extra: { code: '05' } });
    await c.query('update goods set stock = stock - $2 where id = $1', [input.goods_id, input.quantity]);
    const pickup = encrypt(ctx.keys, String(crypto.randomInt(0, 100_000_000)).padStart(8, '0'));
    const { rows: ins } = await c.query<{ id: number }>(
      `insert into orders (holder_id, card_id, goods_id, merchant_id, quantity, pay, amount, status, pickup_cipher, key_id, created_at)
       values ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $10) returning id`,
      [holderId, input.card_id, input.goods_id, g.merchant_id, input.quantity, input.pay, amount, pickup.cipher, pickup.keyId, now]);
    await auditPg(c, ctx, actor, { action: 'order.place', target: `order:${ins[0]!.id}`, outcome: 'pending', after: { ...input, amount } });
    return ins[0]!.id;
  });
  const r = await payOrder(ctx, core, orderId, actor);
  if (!r.approved) throw declined(r, orderId, 'payment');
  return view(ctx, orderId, true);
}

/**
 * Locks an order for a change: its goods row first, then the order row (its `columns` returned;
 * undefined when there is no such order). Placing an order locks the goods to reserve stock before
 * it writes the order, so every mall transaction takes the goods before the order and no two wait
 * on each other in opposite orders. On Citus (design §9), where both are reference tables, a lock
 * on an order also locks the goods it references: the opposite order deadlocked there.
 */
async function lockOrder<T extends pg.QueryResultRow>(c: pg.ClientBase, id: number, columns: string): Promise<T | undefined> {
  const { rows: [order] } = await c.query<{ goods_id: number }>('select goods_id from orders where id = $1', [id]);
  if (!order) return undefined;
  await c.query('select 1 from goods where id = $1 for update', [order.goods_id]);
  return (await c.query<T>(`select ${columns} from orders where id = $1 for update`, [id])).rows[0];
}

async function payment(db: pg.ClientBase | pg.Pool, id: number): Promise<OrderPayment> {
  return (await db.query<OrderPayment>(PAYMENT_SQL, [id])).rows[0]!;
}

/** Pays a pending order and resolves it from the core's answer (exactly once: only a `pending` order moves). */
async function payOrder(ctx: Context, core: TransactionCore, id: number, actor: Actor): Promise<TxnResponse> {
  const r = await pay(ctx, core, await payment(ctx.db.pg, id));
  await withTransaction(ctx.db.pg, async (c) => {
    const order = await lockOrder<{ status: string; goods_id: number; quantity: number }>(c, id, 'status, goods_id, quantity');
    if (order!.status !== 'pending') return;
    if (r.approved) {
      await c.query(`update orders set status = 'placed', transaction_id = $2, response_code = $3, placed_at = $4 where id = $1`, [id, r.transaction_id, r.response_code, ctx.clock.now()]);
    } else {
      await c.query(`update orders set status = 'declined', transaction_id = $2, response_code = $3 where id = $1`, [id, r.transaction_id, r.response_code]);
      await c.query('update goods set stock = stock + $2 where id = $1', [order!.goods_id, order!.quantity]);
    }
    await auditPg(c, ctx, actor, { action: 'order.place', target: `order:${id}`, outcome: r.approved ? 'ok' : `declined_${r.response_code}`, after: { transaction_id: r.transaction_id, response_code: r.response_code } });
  });
  return r;
}

const REFUSE: Record<string, string> = { cancelled: 'the order is already cancelled', fulfilled: 'the order is already fulfilled', cancelling: 'the order is being cancelled', pending: 'the order is not placed yet', declined: 'the order was declined' };

/**
 * Cancels a placed order (holder or merchant, before fulfilment): the payment is voided on its
 * business date, refunded after it, and the stock returned — exactly once: the order moves
 * `placed` → `cancelling` under its row lock (a second cancel gets 409), and only a `cancelling`
 * order becomes `cancelled`. A pay-back the core declines puts the order back to `placed` (409 with the code).
 */
export async function cancelOrder(ctx: Context, core: TransactionCore, id: number, actor: Actor): Promise<OrderView> {
  await withTransaction(ctx.db.pg, async (c) => {
    const order = await lockOrder<{ status: string }>(c, id, 'status');
    if (!order) throw notFound();
    if (order.status !== 'placed') throw new Problem(409, 'conflict', REFUSE[order.status] ?? 'the order cannot be cancelled', { field: 'status' });
    await c.query(`update orders set status = 'cancelling', cancelled_at = $2 where id = $1`, [id, ctx.clock.now()]);
    await auditPg(c, ctx, actor, { action: 'order.cancel', target: `order:${id}`, outcome: 'pending' });
  });
  const r = await payBackOrder(ctx, core, id, actor);
  if (!r.approved) throw declined(r, id, 'pay-back');
  return view(ctx, id, false);
}

async function payBackOrder(ctx: Context, core: TransactionCore, id: number, actor: Actor): Promise<TxnResponse> {
  const r = await payBack(ctx, core, await payment(ctx.db.pg, id));
  await withTransaction(ctx.db.pg, async (c) => {
    const order = await lockOrder<{ status: string; goods_id: number; quantity: number }>(c, id, 'status, goods_id, quantity');
    if (order!.status !== 'cancelling') return;
    if (r.approved) {
      await c.query(`update orders set status = 'cancelled', cancel_transaction_id = $2 where id = $1`, [id, r.transaction_id]);
      await c.query('update goods set stock = stock + $2 where id = $1', [order!.goods_id, order!.quantity]);
    } else {
      await c.query(`update orders set status = 'placed', cancelled_at = null where id = $1`, [id]);
    }
    await auditPg(c, ctx, actor, { action: 'order.cancel', target: `order:${id}`, outcome: r.approved ? 'ok' : `declined_${r.response_code}`, after: { transaction_id: r.transaction_id, response_code: r.response_code } });
  });
  return r;
}

/**
 * The merchant confirms pick-up with the holder's code: `placed` → `fulfilled` once. A wrong code
 * is 409 naming pickup_code (nothing changes, the attempt is audited); a fulfilled or cancelled order 409.
 */
export async function fulfilOrder(ctx: Context, id: number, pickupCode: string, actor: Actor): Promise<OrderView> {
  const wrong = await withTransaction(ctx.db.pg, async (c) => {
    const order = await lockOrder<{ status: string; pickup_cipher: Buffer; key_id: string }>(c, id, 'status, pickup_cipher, key_id');
    if (!order) throw notFound();
    if (order.status !== 'placed') throw new Problem(409, 'conflict', REFUSE[order.status] ?? 'the order cannot be fulfilled', { field: 'status' });
    const expected = Buffer.from(decrypt(ctx.keys, order.pickup_cipher, order.key_id));
    const got = Buffer.from(pickupCode);
    if (got.length !== expected.length || !crypto.timingSafeEqual(got, expected)) {
      await auditPg(c, ctx, actor, { action: 'order.fulfil', target: `order:${id}`, outcome: 'wrong_pickup_code' });
      return true;
    }
    await c.query(`update orders set status = 'fulfilled', fulfilled_at = $2 where id = $1`, [id, ctx.clock.now()]);
    await auditPg(c, ctx, actor, { action: 'order.fulfil', target: `order:${id}`, outcome: 'ok' });
    return false;
  });
  if (wrong) throw new Problem(409, 'wrong_pickup_code', 'the pickup code does not match', { field: 'pickup_code' });
  return view(ctx, id, false);
}

export interface OrderFilter { holderId?: number | null; merchantId?: number | null; status?: string; goodsId?: number; cardId?: number; from?: string; to?: string; afterId?: number; limit?: number }

/** Orders of a holder (with pickup codes of placed orders) or of a merchant, filtered, id order; dates are business-time-zone days of creation. */
export async function listOrders(ctx: Context, f: OrderFilter): Promise<OrderView[]> {
  const { rows } = await ctx.db.pg.query<Row>(`${SELECT}
    where ($1::bigint is null or o.holder_id = $1) and ($2::bigint is null or o.merchant_id = $2) and ($3::text is null or o.status = $3)
      and ($4::bigint is null or o.goods_id = $4) and ($5::bigint is null or o.card_id = $5)
      and ($6::date is null or (o.created_at at time zone $8)::date >= $6) and ($7::date is null or (o.created_at at time zone $8)::date <= $7)
      and o.id > $9
    order by o.id limit $10`,
  [f.holderId ?? null, f.merchantId ?? null, f.status ?? null, f.goodsId ?? null, f.cardId ?? null, f.from ?? null, f.to ?? null, ctx.config.timezone, f.afterId ?? 0, f.limit ?? 50]);
  return rows.map((r) => shape(ctx, r, f.holderId !== undefined && f.holderId !== null));
}

/**
 * Finishes orders a crash left `pending` or `cancelling` for longer than `olderThanMs`, by
 * replaying their payment or pay-back with the same request ids (idempotent in the core). Returns
 * how many it resolved. Safe in several daemons at once: resolution is guarded by the status.
 */
export async function resolveStaleOrders(ctx: Context, core: TransactionCore, olderThanMs = 60_000): Promise<number> {
  const cutoff = new Date(ctx.clock.now().getTime() - olderThanMs);
  const { rows } = await ctx.db.pg.query<{ id: number; status: string }>(
    `select id, status from orders where (status = 'pending' and created_at < $1) or (status = 'cancelling' and cancelled_at < $1) order by id limit 100`, [cutoff]);
  const actor: Actor = { name: 'system:order-recovery', role: null, operatorId: null, requestId: null, source: null };
  for (const o of rows) {
    if (o.status === 'pending') await payOrder(ctx, core, o.id, actor);
    else await payBackOrder(ctx, core, o.id, actor);
  }
  return rows.length;
}
