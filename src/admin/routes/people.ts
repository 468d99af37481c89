import { z } from 'zod';
import { route, reply } from '../route.js';
import { login, logout } from '../sessions.js';
import { addOperator, listOperators, publicOperator, setPassword, showOperator, updateOperator } from '../operators.js';
import { verifyPassword } from '../passwords.js';
import { forbidden, Problem } from '../problem.js';
import { MA, PA, ROLES, scopeFilter } from '../roles.js';
import { afterId, page, pageOf } from '../schema.js';

const idParam = (s: string | undefined) => (s && /^\d{1,15}$/.test(s) ? Number(s) : null);

/** Sessions, one's own password, and operators (design §10). */
export const PEOPLE_ROUTES = [
  route({
    method: 'POST', path: '/sessions', roles: 'public', status: 201, action: 'session.login', summary: 'log in: { username, password } (operators) or { mobile, password } (cardholders) → bearer token',
    body: z.object({ username: z.string().min(1).max(64).optional(), mobile: z.string().min(1).max(20).optional(), password: z.string().min(1).max(200) }).strict()
      .refine((b) => (b.username === undefined) !== (b.mobile === undefined), { message: 'give exactly one of username or mobile', path: ['username'] }),
    handle: async ({ ctx, body, actor }) => login(ctx, body.mobile !== undefined ? { mobile: body.mobile } : body.username!, body.password, { requestId: actor.requestId!, source: actor.source }),
  }),
  route({
    method: 'DELETE', path: '/sessions/current', roles: 'session', status: 204, action: 'session.logout', summary: 'log out',
    handle: async ({ ctx, principal, actor }) => { await logout(ctx, principal, actor); return reply(204); },
  }),
  route({
    method: 'POST', path: '/password', roles: 'session', status: 204, action: 'operator.change_password', summary: 'change one\'s own password (改密)',
    body: z.object({ current_password: z.string().min(1).max(200), new_password: z.string().min(1).max(200) }).strict(),
    handle: async ({ ctx, principal, actor, body }) => {
      const { rows } = await ctx.db.pg.query<{ password_hash: string }>('select password_hash from operators where id = $1', [principal.operatorId]);
      if (!(await verifyPassword(body.current_password, rows[0]!.password_hash))) throw new Problem(400, 'wrong_password', 'current_password does not match', { field: 'current_password' });
      await setPassword(ctx, principal.operatorId, body.new_password, actor, { keepSession: principal.sessionId, action: 'operator.change_password', field: 'new_password' });
      return reply(204);
    },
  }),
  route({
    method: 'GET', path: '/operators', roles: [PA, MA], status: 200, summary: 'operators (a merchant admin: its merchant\'s)',
    query: z.object(page).strict(),
    handle: async ({ ctx, principal, query }) => {
      const lim = query.limit ?? 50;
      const rows = await listOperators(ctx, { merchantId: scopeFilter(principal).merchantId, afterId: afterId(query.cursor), limit: lim + 1 });
      return pageOf(rows.map(publicOperator), lim, (r) => r.id);
    },
  }),
  route({
    method: 'POST', path: '/operators', roles: [PA, MA], status: 201, action: 'operator.add', summary: 'create an operator (a merchant admin: of its merchant, merchant roles only)',
    body: z.object({
      username: z.string(), role: z.enum(ROLES), password: z.string().max(200),
      merchant: z.string().nullable().optional(), issuer: z.string().nullable().optional(),
    }).strict(),
    handle: async ({ ctx, principal, actor, body }) => {
      let merchant = body.merchant ?? null;
      if (principal.role === MA) {
        if (body.role !== 'merchant_admin' && body.role !== 'merchant_operator') throw forbidden('a merchant admin creates merchant roles only', 'role');
        const own = await showOperator(ctx, principal.operatorId);
        if (merchant !== null && merchant !== own.merchant) throw forbidden('a merchant admin creates operators of its own merchant', 'merchant');
        merchant = own.merchant;
      }
      return publicOperator(await addOperator(ctx, { ...body, merchant }, actor));
    },
  }),
  route({
    method: 'PATCH', path: '/operators/{id}', roles: [PA, MA], status: 200, action: 'operator.update', summary: 'disable/enable an operator or change its role',
    body: z.object({ disabled: z.boolean().optional(), role: z.enum(ROLES).optional() }).strict(),
    scope: async (ctx, params) => {
      const id = idParam(params.id);
      if (id === null) return null;
      const { rows } = await ctx.db.pg.query<{ merchant_id: number | null }>('select merchant_id from operators where id = $1', [id]);
      return rows[0] ? { merchantId: rows[0].merchant_id } : null;
    },
    handle: async ({ ctx, principal, actor, body, params }) => {
      if (principal.role === MA && body.role !== undefined && body.role !== 'merchant_admin' && body.role !== 'merchant_operator') throw forbidden('a merchant admin grants merchant roles only', 'role');
      return publicOperator(await updateOperator(ctx, Number(params.id), body, actor));
    },
  }),
];
