import { z } from 'zod';
import { route } from '../route.js';
import { FI, IO, MA, MO, PA, scopeFilter } from '../roles.js';
import { afterId, code, intString, isoDate, page, pageOf } from '../schema.js';
import { queryTransactions, refundTransaction, transactionOwner } from '../transactions.js';
import { notFound } from '../problem.js';
import type { Context } from '../../context.js';
import { queryLoads } from '../loads.js';

const idOwner = async (ctx: Context, params: Record<string, string>) => (/^\d{1,15}$/.test(params.id ?? '') ? transactionOwner(ctx, Number(params.id)) : null);

const TYPES = ['balance', 'activate', 'load', 'purchase', 'preauth', 'capture', 'void', 'reversal', 'refund', 'points_earn', 'points_redeem', 'points_load', 'points_exchange', 'lottery'] as const;

/** Transactions: combined query, detail, refund (退货); load transactions (充值交易查询). */
export const TRANSACTION_ROUTES = [
  route({
    method: 'GET', path: '/transactions', roles: [PA, FI, MA, MO], status: 200, summary: 'combined transaction query (merchant roles: their own)',
    query: z.object({
      ...page, card_last4: z.string().regex(/^\d{4}$/, '4 digits').optional(), merchant: code.optional(), terminal: code.optional(), channel: code.optional(),
      type: z.enum(TYPES).optional(), status: z.enum(['approved', 'declined', 'voided', 'reversed']).optional(),
      from: isoDate.optional(), to: isoDate.optional(), min_amount: intString.optional(), max_amount: intString.optional(),
    }).strict(),
    handle: async ({ ctx, principal, query }) => {
      const lim = query.limit ?? 50;
      const rows = await queryTransactions(ctx, {
        cardLast4: query.card_last4, merchant: query.merchant, terminal: query.terminal, channel: query.channel, type: query.type, status: query.status,
        from: query.from, to: query.to, minAmount: query.min_amount, maxAmount: query.max_amount, merchantId: scopeFilter(principal).merchantId,
        afterId: afterId(query.cursor), limit: lim + 1,
      });
      return pageOf(rows, lim, (r) => r.id);
    },
  }),
  route({
    method: 'GET', path: '/transactions/{id}', roles: [PA, FI, MA, MO], status: 200, summary: 'one transaction', scope: idOwner,
    handle: async ({ ctx, params }) => {
      const [row] = await queryTransactions(ctx, { id: Number(params.id), limit: 1 });
      if (!row) throw notFound();
      return row;
    },
  }),
  route({
    method: 'POST', path: '/transactions/{id}/refund', roles: [MA, MO], status: 201, action: 'transaction.refund', idempotent: true,
    summary: '退货: refund part or all of a purchase through the pipeline on channel WEB-SEAT', scope: idOwner, target: (p) => `transaction:${p.id}`,
    body: z.object({ amount: z.number().int().positive().refine(Number.isSafeInteger, 'a safe integer') }).strict(),
    handle: async ({ ctx, core, principal, actor, params, body, idempotencyKey }) => refundTransaction(ctx, core, principal, actor, Number(params.id), body.amount, idempotencyKey),
  }),
  route({
    method: 'GET', path: '/loads', roles: [PA, FI, IO], status: 200, summary: 'load transactions (充值交易查询): real-time loads and bulk-load rows (issuer_ops: its issuer\'s)',
    query: z.object({ ...page, from: isoDate.optional(), to: isoDate.optional(), issuer: code.optional() }).strict(),
    handle: async ({ ctx, principal, query }) => {
      const lim = query.limit ?? 50;
      const rows = await queryLoads(ctx, {
        scopeIssuerId: scopeFilter(principal).issuerId, issuer: query.issuer, from: query.from, to: query.to, afterKey: afterId(query.cursor), limit: lim + 1,
      });
      const out = pageOf(rows, lim, (r) => r.key);
      return { items: out.items.map((r) => r.load), next_cursor: out.next_cursor };
    },
  }),
];

