import type { z } from 'zod';
import type { Context } from '../context.js';
import type { TransactionCore } from '../daemon/core.js';
import type { Actor } from './audit.js';
import type { Owner, Principal, Role } from './roles.js';

/** What a handler gets: the validated request and who makes it. */
export interface Req<B = unknown, Q = unknown> {
  ctx: Context;
  core: TransactionCore;
  principal: Principal;
  actor: Actor;
  params: Record<string, string>;
  body: B;
  query: Q;
  /** The Idempotency-Key header, on idempotent routes. */
  idempotencyKey: string | null;
}

/** A handler's answer: the success status of the route unless it says otherwise. */
export interface Reply { status?: number; body?: unknown }

/**
 * One route of the management API. `roles` is the authorization table of design §10 ('public' =
 * no token, 'session' = any logged-in operator); `scope` resolves the owner of the object a path
 * names (null: it does not exist) and the router answers 404 when it is outside the caller's
 * scope. Handlers never check roles or scope themselves.
 */
export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  roles: readonly Role[] | 'public' | 'session';
  summary: string;
  status: number;
  body?: z.ZodTypeAny;
  query?: z.ZodTypeAny;
  /** Audit action of a write (refusals are audited under it too). */
  action?: string;
  /** Audit target of a refusal, from the path (default: the route and its parameters). */
  target?: (params: Record<string, string>) => string;
  scope?: (ctx: Context, params: Record<string, string>, p: Principal) => Promise<Owner | null>;
  /** Moves money or stock: honours Idempotency-Key. */
  idempotent?: boolean;
  handle(req: Req<never, never>): Promise<Reply | unknown>;
}

/** Declares a route with typed body and query (inferred from its schemas). */
export function route<B extends z.ZodTypeAny = z.ZodNever, Q extends z.ZodTypeAny = z.ZodNever>(r: Omit<Route, 'body' | 'query' | 'handle'> & {
  body?: B; query?: Q; handle(req: Req<z.output<B>, z.output<Q>>): Promise<Reply | unknown>;
}): Route {
  return r as Route;
}

/** A reply with an explicit status (else the route's). */
export function reply(status: number, body?: unknown): Reply & { __reply: true } {
  return { status, body, __reply: true };
}

export function isReply(x: unknown): x is Reply {
  return typeof x === 'object' && x !== null && '__reply' in x;
}
