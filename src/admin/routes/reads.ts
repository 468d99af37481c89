import { z } from 'zod';
import { route } from '../route.js';
import { forbidden } from '../problem.js';
import { FI, IO, MA, MO, PA, scopeFilter } from '../roles.js';
import { afterId, code, isoDate, page, pageOf } from '../schema.js';
import { listAudit } from '../audit.js';
import { localTime } from '../time.js';
import { statsReport } from '../../reports/stats.js';
import { listIssuers } from '../../registry/issuers.js';
import { listPrograms } from '../../registry/programs.js';

const PARTY_TABLES = {
  merchant: { table: 'settlement_merchants', id: 'merchant_id', code: 'merchant_code' },
  channel: { table: 'settlement_channels', id: 'channel_id', code: 'channel_code' },
  issuer: { table: 'settlement_issuers', id: 'issuer_id', code: 'issuer_code' },
} as const;

/** Settlement rows, statistics, the audit log, issuers and programs (read only). */
export const READ_ROUTES = [
  route({
    method: 'GET', path: '/settlements', roles: [PA, FI, MA, MO], status: 200, summary: 'settlement rows of a date and party kind (merchant roles: their own merchant rows)',
    query: z.object({ ...page, date: isoDate.optional(), party: code.optional(), kind: z.enum(['merchant', 'channel', 'issuer']).optional() }).strict(),
    handle: async ({ ctx, principal, query }) => {
      const kind = query.kind ?? 'merchant';
      const scope = scopeFilter(principal).merchantId;
      if (scope !== null && kind !== 'merchant') throw forbidden('merchant roles read merchant rows only', 'kind');
      const t = PARTY_TABLES[kind];
      const lim = query.limit ?? 50;
      const { rows } = await ctx.db.pg.query<Record<string, unknown> & { k: number }>(
        `select row_number() over (order by business_date, ${t.code}, currency)::int as k, s.* from ${t.table} s
         where ($1::date is null or business_date = $1) and ($2::text is null or ${t.code} = $2) and ($3::bigint is null or ${t.id} = $3)
         order by business_date, ${t.code}, currency`,
        [query.date ?? null, query.party ?? null, kind === 'merchant' ? scope : null]);
      const after = afterId(query.cursor);
      const out = pageOf(rows.filter((r) => r.k > after), lim, (r) => r.k);
      return { items: out.items.map(({ k: _k, ...r }) => ({ kind, ...r })), next_cursor: out.next_cursor };
    },
  }),
  route({
    method: 'GET', path: '/stats', roles: [PA, FI, MA, MO], status: 200, summary: 'statistics by business date and type (merchant roles: their own)',
    query: z.object({ from: isoDate.optional(), to: isoDate.optional() }).strict(),
    handle: async ({ ctx, principal, query }) => {
      // merchant roles see their own merchant's messages only
      return statsReport(ctx, { from: query.from, to: query.to, merchantId: scopeFilter(principal).merchantId });
    },
  }),
  route({
    method: 'GET', path: '/audit', roles: [PA, FI], status: 200, summary: 'the audit log (oldest first)',
    query: z.object({ ...page, actor: z.string().max(100).optional(), target: z.string().max(200).optional(), from: z.string().max(40).optional(), to: z.string().max(40).optional() }).strict(),
    handle: async ({ ctx, query }) => {
      const lim = query.limit ?? 50;
      const rows = await listAudit(ctx, { actor: query.actor, target: query.target, from: query.from, to: query.to, afterId: afterId(query.cursor), limit: lim + 1 });
      const out = pageOf(rows, lim, (r) => r.id);
      return { items: out.items.map((r) => ({ ...r, at: localTime(r.at, ctx.config.timezone) })), next_cursor: out.next_cursor };
    },
  }),
  route({
    method: 'GET', path: '/issuers', roles: [PA, FI, IO], status: 200, summary: 'issuers (issuer_ops: its own)',
    query: z.object(page).strict(),
    handle: async ({ ctx, principal, query }) => {
      const scope = scopeFilter(principal).issuerId;
      const all = (await listIssuers(ctx)) as unknown as { id: number }[];
      const lim = query.limit ?? 50;
      const after = afterId(query.cursor);
      return pageOf(all.filter((i) => (scope === null || i.id === scope) && i.id > after).sort((a, b) => a.id - b.id), lim, (i) => i.id);
    },
  }),
  route({
    method: 'GET', path: '/programs', roles: [PA, FI, IO], status: 200, summary: 'card programs (issuer_ops: its issuer\'s)',
    query: z.object(page).strict(),
    handle: async ({ ctx, principal, query }) => {
      const scope = scopeFilter(principal).issuerId;
      const own = scope === null ? null : (await ctx.db.pg.query<{ code: string }>('select code from issuers where id = $1', [scope])).rows[0]!.code;
      const all = (await listPrograms(ctx)) as unknown as { id: number; issuer: string }[];
      const lim = query.limit ?? 50;
      const after = afterId(query.cursor);
      return pageOf(all.filter((p) => (own === null || p.issuer === own) && p.id > after).sort((a, b) => a.id - b.id), lim, (p) => p.id);
    },
  }),
];
