import { z } from 'zod';
import { route, reply } from '../route.js';
import { CH, MA, MO, scopeFilter } from '../roles.js';
import { afterId, code, isoDate, page, pageOf } from '../schema.js';
import { addGoods, availableGoods, deleteGoods, goodsOwner, merchantGoods, updateGoods } from '../../mall/goods.js';
import { cancelOrder, fulfilOrder, listOrders, orderOwner, placeOrder } from '../../mall/orders.js';
import type { Context } from '../../context.js';

const numeric = (s: string | undefined) => (s && /^\d{1,15}$/.test(s) ? Number(s) : null);
const goodsScope = async (ctx: Context, params: Record<string, string>) => {
  const id = numeric(params.id);
  return id === null ? null : goodsOwner(ctx, id);
};
const orderScope = async (ctx: Context, params: Record<string, string>) => {
  const id = numeric(params.id);
  return id === null ? null : orderOwner(ctx, id);
};
const price = z.number().int().positive().refine(Number.isSafeInteger, 'a safe integer');
const stock = z.number().int().min(0).max(1_000_000_000);
const time = z.string().max(40);
const goodsFields = {
  name: z.string().min(1).max(200), points_price: price.nullable().optional(), cash_price: price.nullable().optional(), stock,
  active_from: time.nullable().optional(), active_to: time.nullable().optional(),
};

/** The points mall: goods (可兑换商品) and orders (在线积分订单 / 在线货币订单), design §10. */
export const MALL_ROUTES = [
  route({
    method: 'GET', path: '/goods', roles: [CH, MA], status: 200, summary: 'goods: a cardholder the goods it may order now (active, in stock, accepted for its cards); a merchant admin its catalogue',
    query: z.object(page).strict(),
    handle: async ({ ctx, principal, query }) => {
      const lim = query.limit ?? 50;
      const after = afterId(query.cursor);
      const rows = principal.role === CH ? await availableGoods(ctx, principal.holderId!, after, lim + 1) : await merchantGoods(ctx, principal.merchantId!, after, lim + 1);
      return pageOf(rows, lim, (r) => r.id);
    },
  }),
  route({
    method: 'POST', path: '/goods', roles: [MA], status: 201, action: 'goods.add',
    summary: 'add goods { code, name, points_price?, cash_price?, stock, active_from?, active_to? } (points in the merchant\'s earn scheme)',
    body: z.object({ code, ...goodsFields }).strict(),
    handle: async ({ ctx, principal, actor, body }) => addGoods(ctx, principal.merchantId!, body, actor),
  }),
  route({
    method: 'PATCH', path: '/goods/{id}', roles: [MA], status: 200, action: 'goods.update', summary: 'change goods (name, prices, stock, active window)',
    scope: goodsScope, target: (p) => `goods:${p.id}`,
    body: z.object({ ...goodsFields, name: goodsFields.name.optional(), stock: stock.optional() }).strict(),
    handle: async ({ ctx, actor, params, body }) => updateGoods(ctx, Number(params.id), body, actor),
  }),
  route({
    method: 'DELETE', path: '/goods/{id}', roles: [MA], status: 204, action: 'goods.delete', summary: 'remove goods from the catalogue',
    scope: goodsScope, target: (p) => `goods:${p.id}`,
    handle: async ({ ctx, actor, params }) => { await deleteGoods(ctx, Number(params.id), actor); return reply(204); },
  }),
  route({
    method: 'GET', path: '/orders', roles: [CH, MA, MO], status: 200, summary: 'orders: a cardholder its own (with pickup codes), merchant roles their merchant\'s; filters status, goods_id, card_id, from, to',
    query: z.object({
      ...page, status: z.enum(['pending', 'placed', 'declined', 'fulfilled', 'cancelling', 'cancelled']).optional(),
      goods_id: z.string().regex(/^\d{1,15}$/, 'an id').transform(Number).optional(), card_id: z.string().regex(/^\d{1,15}$/, 'an id').transform(Number).optional(),
      from: isoDate.optional(), to: isoDate.optional(),
    }).strict(),
    handle: async ({ ctx, principal, query }) => {
      const lim = query.limit ?? 50;
      const rows = await listOrders(ctx, {
        ...(principal.role === CH ? { holderId: principal.holderId } : { merchantId: scopeFilter(principal).merchantId }),
        status: query.status, goodsId: query.goods_id, cardId: query.card_id, from: query.from, to: query.to, afterId: afterId(query.cursor), limit: lim + 1,
      });
      return pageOf(rows, lim, (r) => r.id);
    },
  }),
  route({
    method: 'POST', path: '/orders', roles: [CH], status: 201, action: 'order.place', idempotent: true,
    summary: 'place an order { card_id, goods_id, quantity, pay: points|value }: stock reserved and paid through the pipeline on WEB-SEAT; 409 with a DE39-style code when it cannot',
    body: z.object({ card_id: z.number().int().positive(), goods_id: z.number().int().positive(), quantity: z.number().int().min(1).max(1000), pay: z.enum(['points', 'value']) }).strict(),
    handle: async ({ ctx, core, principal, actor, body }) => placeOrder(ctx, core, principal.holderId!, actor, body),
  }),
  route({
    method: 'POST', path: '/orders/{id}/fulfil', roles: [MA, MO], status: 200, action: 'order.fulfil', summary: 'confirm pick-up with the holder\'s { pickup_code }',
    scope: orderScope, target: (p) => `order:${p.id}`,
    body: z.object({ pickup_code: z.string().min(1).max(32) }).strict(),
    handle: async ({ ctx, actor, params, body }) => fulfilOrder(ctx, Number(params.id), body.pickup_code, actor),
  }),
  route({
    method: 'POST', path: '/orders/{id}/cancel', roles: [CH, MA, MO], status: 200, action: 'order.cancel', idempotent: true,
    summary: 'cancel a placed order: points or value and stock return exactly once (a void on the order\'s business date, a refund after it)',
    scope: orderScope, target: (p) => `order:${p.id}`,
    handle: async ({ ctx, core, actor, params }) => cancelOrder(ctx, core, Number(params.id), actor),
  }),
];
