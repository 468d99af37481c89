import crypto from 'node:crypto';
import type http from 'node:http';
import type { Context } from '../context.js';
import type { TransactionCore } from '../daemon/core.js';
import { auditPg, type Actor } from './audit.js';
import { authenticate } from './sessions.js';
import { forbidden, notFound, outcomeOf, Problem, toProblem, unauthenticated } from './problem.js';
import { inScope, type Principal } from './roles.js';
import { isReply, type Reply, type Route } from './route.js';
import { parse } from './schema.js';
import { withIdempotency } from './idempotency.js';

export const PREFIX = '/admin/v1';

interface Compiled { route: Route; re: RegExp; names: string[] }

/** Matches request paths against the route table. */
export class Router {
  private readonly compiled: Compiled[];
  constructor(readonly routes: readonly Route[]) {
    this.compiled = routes.map((route) => {
      const names: string[] = [];
      const re = new RegExp(`^${PREFIX}${route.path.replace(/\{(\w+)\}/g, (_m, n: string) => (names.push(n), '([^/]+)'))}$`);
      return { route, re, names };
    });
  }

  match(method: string, path: string): { route: Route; params: Record<string, string> } | 'method' | null {
    let pathOnly = false;
    for (const c of this.compiled) {
      const m = c.re.exec(path);
      if (!m) continue;
      if (c.route.method !== method) {
        pathOnly = true;
        continue;
      }
      return { route: c.route, params: Object.fromEntries(c.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)])) };
    }
    return pathOnly ? 'method' : null;
  }
}

export interface Incoming {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  headers: http.IncomingHttpHeaders;
  source: string | null;
  requestId: string;
}

/**
 * Handles one admin request end to end: authentication (401), the route's roles (403, audited),
 * request validation (400 naming the field), the scope of the object the path names (404,
 * audited), Idempotency-Key, then the handler. The one place authorization is decided.
 */
export async function dispatch(ctx: Context, core: TransactionCore, router: Router, inc: Incoming): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
  const m = router.match(inc.method, inc.path);
  if (m === null) throw notFound(`no route ${inc.method} ${inc.path}`);
  if (m === 'method') throw new Problem(405, 'method_not_allowed', `${inc.method} is not allowed on ${inc.path}`);
  const { route, params } = m;
  let principal: Principal | null = null;
  if (route.roles !== 'public') {
    const auth = inc.headers.authorization;
    const token = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7).trim() : null;
    principal = token ? await authenticate(ctx, token) : null;
    if (!principal) throw unauthenticated();
  }
  const actor: Actor = {
    name: principal ? `api:${principal.username}` : 'api:anonymous', role: principal?.role ?? null,
    operatorId: principal?.operatorId ?? null, requestId: inc.requestId, source: inc.source,
  };
  const target = route.target ? route.target(params) : `${route.method} ${route.path}${Object.keys(params).length ? ` ${JSON.stringify(params)}` : ''}`;
  const refuse = async (p: Problem): Promise<never> => {
    await auditPg(ctx.db.pg, ctx, actor, { action: route.action ?? `${route.method} ${route.path}`, target, outcome: outcomeOf(p.status) });
    throw p;
  };
  if (principal && Array.isArray(route.roles) && !route.roles.includes(principal.role)) await refuse(forbidden());
  const query = route.query ? parse(route.query, inc.query, 'query') : undefined;
  if (!route.query && Object.keys(inc.query).length > 0) throw new Problem(400, 'invalid_request', `unknown query parameter ${JSON.stringify(Object.keys(inc.query)[0])}`, { field: Object.keys(inc.query)[0] });
  const body = route.body ? parse(route.body, inc.body ?? {}, 'body') : undefined;
  if (!route.body && inc.body !== undefined && inc.method !== 'DELETE') throw new Problem(400, 'invalid_request', 'this route takes no body', { field: 'body' });
  if (route.scope && principal) {
    const owner = await route.scope(ctx, params, principal);
    if (owner === null || !inScope(principal, owner)) await refuse(notFound());
  }
  const keyHeader = inc.headers['idempotency-key'];
  const idempotencyKey = route.idempotent && typeof keyHeader === 'string' ? keyHeader : null;
  if (idempotencyKey !== null && !/^[\x21-\x7e]{1,200}$/.test(idempotencyKey)) throw new Problem(400, 'invalid_request', 'Idempotency-Key: 1–200 printable characters', { field: 'Idempotency-Key' });
  const run = async () => {
    try {
      const out = await route.handle({ ctx, core, principal: principal!, actor, params, body: body as never, query: query as never, idempotencyKey });
      const r: Reply = isReply(out) ? out : { body: out };
      return { status: r.status ?? route.status, body: r.body ?? null };
    } catch (err) {
      const p = toProblem(err);
      if (p.status === 403 || p.status === 404) await auditPg(ctx.db.pg, ctx, actor, { action: route.action ?? `${route.method} ${route.path}`, target, outcome: outcomeOf(p.status) });
      throw p;
    }
  };
  if (idempotencyKey === null || !principal) return run();
  const hash = crypto.createHash('sha256').update(JSON.stringify([route.method, route.path, params, inc.body ?? null])).digest();
  return withIdempotency(ctx, principal.operatorId, idempotencyKey, `${route.method} ${route.path}`, hash, run);
}
