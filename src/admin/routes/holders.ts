import { z } from 'zod';
import { route } from '../route.js';
import { CH, IO, PA, scopeFilter, type Principal } from '../roles.js';
import { afterId, page, pageOf } from '../schema.js';
import { queryTransactions } from '../transactions.js';
import { changeCardStatus } from '../../cards/lifecycle.js';
import { addHolder, holderIssuers, linkCard, queryHolders, showHolder } from '../../holders/holders.js';
import { cardOwner, listCards, ratesInForce } from '../../holders/cards.js';
import { ID_TYPES } from '../../holders/pii.js';
import { Problem } from '../problem.js';
import type { Context } from '../../context.js';

const numeric = (s: string | undefined) => (s && /^\d{1,15}$/.test(s) ? Number(s) : null);
const holderScope = async (ctx: Context, params: Record<string, string>) => {
  const id = numeric(params.id);
  const issuers = id === null ? null : await holderIssuers(ctx, id);
  return issuers === null ? null : { issuerIds: issuers };
};
const cardScope = async (ctx: Context, params: Record<string, string>) => {
  const id = numeric(params.id);
  return id === null ? null : cardOwner(ctx, id);
};
/** The card list filter of a principal: a cardholder its own cards, issuer_ops its issuer's. */
const cardFilter = (p: Principal) => (p.role === CH ? { holderId: p.holderId ?? -1 } : { issuerId: scopeFilter(p).issuerId });

/** Cardholders (用户) for operators; a cardholder's cards, transactions, rates and report lost (design §10). */
export const HOLDER_ROUTES = [
  route({
    method: 'GET', path: '/holders', roles: [PA, IO], status: 200, summary: '用户组合查询: holders by mobile, ID number, card last 4, program (issuer_ops: its issuer\'s); personal data masked',
    query: z.object({
      ...page, mobile: z.string().max(20).optional(), id_number: z.string().max(40).optional(),
      card_last4: z.string().regex(/^\d{4}$/, '4 digits').optional(), program: z.string().max(32).optional(),
    }).strict(),
    handle: async ({ ctx, principal, query }) => {
      const lim = query.limit ?? 50;
      const rows = await queryHolders(ctx, {
        mobile: query.mobile, idNumber: query.id_number, cardLast4: query.card_last4, program: query.program,
        issuerId: scopeFilter(principal).issuerId, afterId: afterId(query.cursor), limit: lim + 1,
      });
      return pageOf(rows, lim, (r) => r.id);
    },
  }),
  route({
    method: 'POST', path: '/holders', roles: [PA, IO], status: 201, action: 'holder.add',
    summary: 'register a holder { name, id_type, id_number, mobile, password? }; without a password the answer carries a one-time password (shown once)',
    body: z.object({
      name: z.string().max(100), id_type: z.enum(ID_TYPES), id_number: z.string().max(40), mobile: z.string().max(20), password: z.string().max(200).optional(),
    }).strict(),
    handle: async ({ ctx, principal, actor, body }) => {
      const { holder, one_time_password } = await addHolder(ctx, body, body.password ?? null, actor, scopeFilter(principal).issuerId);
      return { ...holder, ...(one_time_password ? { one_time_password } : {}) };
    },
  }),
  route({
    method: 'GET', path: '/holders/{id}', roles: [PA, IO], status: 200, summary: 'one holder, masked, with its cards', scope: holderScope,
    handle: async ({ ctx, params }) => showHolder(ctx, Number(params.id)),
  }),
  route({
    method: 'POST', path: '/holders/{id}/cards', roles: [PA, IO], status: 201, action: 'holder.link', summary: 'link a card { card | card_id } to the holder (issuer_ops: its issuer\'s cards)',
    scope: holderScope, target: (p) => `holder:${p.id}`,
    body: z.object({ card: z.string().regex(/^\d{13,19}$/, '13 to 19 digits').optional(), card_id: z.number().int().positive().optional() }).strict()
      .refine((b) => (b.card === undefined) !== (b.card_id === undefined), { message: 'name the card with exactly one of card or card_id', path: ['card'] }),
    handle: async ({ ctx, principal, actor, params, body }) =>
      linkCard(ctx, Number(params.id), { pan: body.card, cardId: body.card_id }, actor, scopeFilter(principal).issuerId),
  }),
  route({
    method: 'GET', path: '/cards', roles: [CH, PA, IO], status: 200, summary: 'cards { id, masked, program, status, balance, points } (a cardholder: its own; issuer_ops: its issuer\'s)',
    query: z.object(page).strict(),
    handle: async ({ ctx, principal, query }) => {
      const lim = query.limit ?? 50;
      return pageOf(await listCards(ctx, { ...cardFilter(principal), afterId: afterId(query.cursor), limit: lim + 1 }), lim, (r) => r.id);
    },
  }),
  route({
    method: 'GET', path: '/cards/{id}/transactions', roles: [CH, PA, IO], status: 200, summary: 'a card\'s transactions', scope: cardScope,
    query: z.object(page).strict(),
    handle: async ({ ctx, params, query }) => {
      const lim = query.limit ?? 50;
      return pageOf(await queryTransactions(ctx, { cardId: Number(params.id), afterId: afterId(query.cursor), limit: lim + 1 }), lim, (r) => r.id);
    },
  }),
  route({
    method: 'POST', path: '/cards/{id}/lost', roles: [CH, PA, IO], status: 200, action: 'card.mark_lost', summary: '挂失: report a card lost (every later authorization declines 41, reversals excepted)',
    scope: cardScope, target: (p) => `card:${p.id}`,
    handle: async ({ ctx, actor, params }) => {
      try {
        await changeCardStatus(ctx, { cardId: params.id }, 'mark_lost', actor);
      } catch (err) {
        if ((err as { code?: string }).code === 'invalid_status') throw new Problem(409, 'invalid_status', (err as Error).message, { field: 'status' });
        throw err;
      }
      return (await listCards(ctx, { id: Number(params.id), limit: 1 }))[0];
    },
  }),
  route({
    method: 'GET', path: '/rates', roles: [CH, PA, IO], status: 200, summary: '积分银行实时汇率: every exchange rate in force now',
    handle: async ({ ctx }) => ({ items: await ratesInForce(ctx), next_cursor: null }),
  }),
];
