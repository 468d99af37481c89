import { z } from 'zod';
import { route } from '../route.js';
import { FI, IO, MA, MO, PA, scopeFilter } from '../roles.js';
import { afterId, code, intString, isoDate, page, pageOf } from '../schema.js';
import { queryTransactions, refundTransaction, transactionOwner } from '../transactions.js';
import { notFound } from '../problem.js';
import type { Context } from '../../context.js';
import { localTime } from '../time.js';

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
      const after = afterId(query.cursor);
      const { rows } = await ctx.db.pg.query<{ key: number; source: string; id: number; card_id: number; pan_last4: string; issuer: string; amount: number; reference: string | null; file_name: string | null; at: Date; business_date: string | null }>(
        `select * from (
           select t.id * 2 as key, 'transaction' as source, t.id, t.card_id, c.pan_last4, i.code as issuer, t.amount_approved as amount,
                  null::text as reference, null::text as file_name, t.occurred_at as at, t.business_date::text as business_date
           from transactions t join cards c on c.id = t.card_id join programs p on p.id = c.program_id join issuers i on i.id = p.issuer_id
           where t.type in ('load', 'activate') and t.approved and t.amount_approved > 0 and ($1::bigint is null or p.issuer_id = $1)
             and ($2::date is null or t.business_date >= $2) and ($3::date is null or t.business_date <= $3)
           union all
           select e.id * 2 + 1, 'file', e.id, l.card_id, c.pan_last4, i.code, l.amount, l.reference, l.file_name, l.applied_at, e.business_date::text
           from load_references l join entries e on e.id = l.entry_id join cards c on c.id = l.card_id join issuers i on i.id = l.issuer_id
           where ($1::bigint is null or l.issuer_id = $1) and ($2::date is null or e.business_date >= $2) and ($3::date is null or e.business_date <= $3)
         ) x where ($4::text is null or issuer = $4) and key > $5 order by key limit $6`,
        [scopeFilter(principal).issuerId, query.from ?? null, query.to ?? null, query.issuer ?? null, after, lim + 1]);
      const out = pageOf(rows, lim, (r) => r.key);
      return {
        items: out.items.map((r) => ({
          source: r.source, id: r.id, card: { id: r.card_id, masked: `************${r.pan_last4}` }, issuer: r.issuer, amount: r.amount,
          reference: r.reference, file_name: r.file_name, business_date: r.business_date, at: localTime(r.at, ctx.config.timezone),
        })),
        next_cursor: out.next_cursor,
      };
    },
  }),
];

