import { z } from 'zod';
import { route } from '../route.js';
import { FI, IO } from '../roles.js';
import { afterId, money, page, pageOf } from '../schema.js';
import { requestAdjustment } from '../adjustments.js';
import { approvalOwner, decideApproval, listApprovals } from '../approvals.js';
import { applyApprovedLoad } from '../../batch/load-approval.js';
import type { Context } from '../../context.js';

const owner = async (ctx: Context, params: Record<string, string>) => (/^\d{1,15}$/.test(params.id ?? '') ? approvalOwner(ctx, Number(params.id)) : null);

/** Maker-checker: adjustment requests and the approvals queue (design §10). */
export const APPROVAL_ROUTES = [
  route({
    method: 'POST', path: '/adjustments', roles: [FI], status: 201, action: 'adjustment.request', idempotent: true,
    summary: 'request a manual adjustment (signed amount against suspense:adjustments); pending until another finance operator approves',
    body: z.object({
      card: z.string().regex(/^\d{13,19}$/, '13–19 digits').optional(), card_id: z.number().int().positive().optional(),
      amount: money, reason: z.string().min(1).max(500),
    }).strict(),
    handle: async ({ ctx, principal, actor, body }) => requestAdjustment(ctx, principal, actor, { card: body.card, cardId: body.card_id, amount: body.amount, reason: body.reason }),
  }),
  route({
    method: 'GET', path: '/approvals', roles: [FI, IO], status: 200, summary: 'maker-checker requests (issuer_ops: its issuer\'s loads)',
    query: z.object({ ...page, status: z.enum(['pending', 'approved', 'rejected', 'expired']).optional() }).strict(),
    handle: async ({ ctx, principal, query }) => {
      const lim = query.limit ?? 50;
      return pageOf(await listApprovals(ctx, principal, { status: query.status, afterId: afterId(query.cursor), limit: lim + 1 }), lim, (a) => a.id);
    },
  }),
  ...(['approve', 'reject'] as const).map((decision) => route({
    method: 'POST', path: `/approvals/{id}/${decision}`, roles: [FI, IO], status: 200, action: `approval.${decision}`, idempotent: true,
    summary: `${decision} a pending request (never one's own: 403)`, scope: owner, target: (p) => `approval:${p.id}`,
    handle: async ({ ctx, principal, actor, params }) => decideApproval(ctx, principal, actor, Number(params.id), decision, applyApprovedLoad),
  })),
];
