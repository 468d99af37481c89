import { z } from 'zod';
import { sql } from 'slonik';
import { route, reply } from '../route.js';
import { forbidden } from '../problem.js';
import { MA, MO, PA, scopeFilter } from '../roles.js';
import { afterId, code, page, pageOf } from '../schema.js';
import { addMerchant, addTerminal, showMerchant, type Merchant, type Terminal } from '../../registry/merchants.js';
import { deleteTerminal, updateMerchant, updateTerminal } from '../../registry/merchant-changes.js';
import type { Context } from '../../context.js';

const idParam = (s: string | undefined) => (s && /^\d{1,15}$/.test(s) ? Number(s) : null);

async function merchantOwner(ctx: Context, params: Record<string, string>) {
  const { rows } = await ctx.db.pg.query<{ id: number }>('select id from merchants where code = $1', [params.code]);
  return rows[0] ? { merchantId: rows[0].id } : null;
}

async function terminalOwner(ctx: Context, params: Record<string, string>) {
  const id = idParam(params.id);
  if (id === null) return null;
  const { rows } = await ctx.db.pg.query<{ merchant_id: number }>('select merchant_id from terminals where id = $1', [id]);
  return rows[0] ? { merchantId: rows[0].merchant_id } : null;
}

/** Merchants (combined query: code/name contains) and terminals (design §10). */
export const MERCHANT_ROUTES = [
  route({
    method: 'GET', path: '/merchants', roles: [PA, MA, MO], status: 200, summary: 'merchants (combined query; merchant roles: their own)',
    query: z.object({ ...page, q: z.string().max(100).optional(), code: code.optional() }).strict(),
    handle: async ({ ctx, principal, query }) => {
      const lim = query.limit ?? 50;
      const ids = await ctx.db.pg.query<{ id: number; code: string }>(
        `select id, code from merchants where ($1::bigint is null or id = $1) and ($2::text is null or code = $2)
           and ($3::text is null or strpos(lower(code || ' ' || name), lower($3)) > 0) and id > $4 order by id limit $5`,
        [scopeFilter(principal).merchantId, query.code ?? null, query.q ?? null, afterId(query.cursor), lim + 1]);
      const items: (Merchant & { id: number })[] = [];
      for (const r of ids.rows) items.push(await showMerchant(ctx, r.code));
      return pageOf(items, lim, (m) => m.id);
    },
  }),
  route({
    method: 'POST', path: '/merchants', roles: [PA], status: 201, action: 'merchant.add', summary: 'register a merchant',
    body: z.object({ code, name: z.string().optional(), commission_bps: z.number().int().optional() }).strict(),
    handle: async ({ ctx, actor, body }) => addMerchant(ctx, { code: body.code, name: body.name, commissionBps: body.commission_bps }, actor),
  }),
  route({
    method: 'GET', path: '/merchants/{code}', roles: [PA, MA, MO], status: 200, summary: 'a merchant\'s profile', scope: merchantOwner,
    handle: async ({ ctx, params }) => showMerchant(ctx, params.code!),
  }),
  route({
    method: 'PATCH', path: '/merchants/{code}', roles: [PA, MA], status: 200, action: 'merchant.update', summary: 'change a merchant\'s profile (commission: platform only)',
    scope: merchantOwner,
    body: z.object({ name: z.string().optional(), commission_bps: z.number().int().optional() }).strict(),
    handle: async ({ ctx, principal, actor, params, body }) => {
      if (principal.role === MA && body.commission_bps !== undefined) throw forbidden('the commission is set by the platform', 'commission_bps');
      return updateMerchant(ctx, params.code!, { name: body.name, commissionBps: body.commission_bps }, actor);
    },
  }),
  route({
    method: 'GET', path: '/terminals', roles: [PA, MA], status: 200, summary: 'terminals (a merchant admin: its own)',
    query: z.object({ ...page, merchant: code.optional() }).strict(),
    handle: async ({ ctx, principal, query }) => {
      const lim = query.limit ?? 50;
      const rows = (await ctx.db.sql.any(sql.unsafe`
        select t.id, t.code, m.code as merchant, t.created_at from terminals t join merchants m on m.id = t.merchant_id
        where (${scopeFilter(principal).merchantId}::bigint is null or t.merchant_id = ${scopeFilter(principal).merchantId})
          and (${query.merchant ?? null}::text is null or m.code = ${query.merchant ?? null}) and t.id > ${afterId(query.cursor)}
        order by t.id limit ${lim + 1}`)) as Terminal[];
      return pageOf([...rows], lim, (t) => t.id);
    },
  }),
  route({
    method: 'POST', path: '/terminals', roles: [PA, MA], status: 201, action: 'terminal.add', summary: 'register a terminal (a merchant admin: for its merchant)',
    body: z.object({ code, merchant: code.optional() }).strict(),
    handle: async ({ ctx, principal, actor, body }) => {
      let merchant = body.merchant;
      if (principal.role === MA) {
        const own = (await ctx.db.pg.query<{ code: string }>('select code from merchants where id = $1', [principal.merchantId])).rows[0]!.code;
        if (merchant !== undefined && merchant !== own) throw forbidden('a merchant admin registers terminals of its own merchant', 'merchant');
        merchant = own;
      }
      return addTerminal(ctx, { merchant, code: body.code }, actor);
    },
  }),
  route({
    method: 'PATCH', path: '/terminals/{id}', roles: [PA, MA], status: 200, action: 'terminal.update', summary: 'rename a terminal', scope: terminalOwner,
    body: z.object({ code }).strict(),
    handle: async ({ ctx, actor, params, body }) => updateTerminal(ctx, Number(params.id), body, actor),
  }),
  route({
    method: 'DELETE', path: '/terminals/{id}', roles: [PA, MA], status: 204, action: 'terminal.delete', summary: 'remove a terminal that never took a transaction', scope: terminalOwner,
    handle: async ({ ctx, actor, params }) => {
      await deleteTerminal(ctx, Number(params.id), actor);
      return reply(204);
    },
  }),
];

