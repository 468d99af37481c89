import os from 'node:os';
import type pg from 'pg';
import type { CommonQueryMethods } from 'slonik';
import type { Context } from '../context.js';
import { scrubPans } from '../cards/luhn.js';
import { InputError } from '../errors.js';

/** Who does something: `api:<username>` or `cli:<os user>`, with the role and request details. */
export interface Actor {
  name: string;
  role: string | null;
  operatorId: number | null;
  requestId: string | null;
  source: string | null;
}

/** The CLI's actor: the OS user, or `cli:<os user>/<username>` when acting as an operator (--as). */
export function cliActor(as?: { username: string; role: string; id: number }): Actor {
  const user = os.userInfo().username;
  return { name: as ? `cli:${user}/${as.username}` : `cli:${user}`, role: as?.role ?? null, operatorId: as?.id ?? null, requestId: null, source: 'cli' };
}

export interface AuditRecord {
  action: string;
  target: string | null;
  outcome: string;
  before?: unknown;
  after?: unknown;
}

const SECRET_KEYS = /pass|secret|token|pin|tmk|key|cipher|hash|pan$|^card$|mobile|id_number|phone/i;

/**
 * A copy of `value` safe for the audit log: secret and personal fields masked whole, any
 * Luhn-valid digit run in a string scrubbed.
 */
export function masked(value: unknown): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (typeof value === 'string') return scrubPans(value);
  if (Array.isArray(value)) return value.map(masked);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) && v !== null && v !== undefined ? '***' : masked(v);
    return out;
  }
  return value;
}

const COLUMNS = 'at, actor, role, action, target, request_id, source, outcome, before, after';
function values(ctx: Context, actor: Actor, r: AuditRecord): unknown[] {
  return [ctx.clock.now(), actor.name, actor.role, r.action, r.target, actor.requestId, actor.source, r.outcome,
    r.before === undefined ? null : JSON.stringify(masked(r.before)), r.after === undefined ? null : JSON.stringify(masked(r.after))];
}

/** Appends one audit record on a pg client: call inside the transaction of the change it records. */
export async function auditPg(client: pg.ClientBase | pg.Pool, ctx: Context, actor: Actor, r: AuditRecord): Promise<void> {
  await client.query(`insert into audit_log (${COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, values(ctx, actor, r));
}

/** Appends one audit record in a slonik transaction (registry functions). */
export async function auditSql(tx: CommonQueryMethods, ctx: Context, actor: Actor, r: AuditRecord): Promise<void> {
  const v = values(ctx, actor, r) as [Date, string, string | null, string, string | null, string | null, string | null, string, string | null, string | null];
  // Loaded here, not with this module: commands that audit through pg only (a bulk load) never load slonik.
  const { sql } = await import('slonik');
  await tx.query(sql.unsafe`insert into audit_log (at, actor, role, action, target, request_id, source, outcome, before, after)
    values (${v[0].toISOString()}, ${v[1]}, ${v[2]}, ${v[3]}, ${v[4]}, ${v[5]}, ${v[6]}, ${v[7]}, ${v[8]}::jsonb, ${v[9]}::jsonb)`);
}

export interface AuditQuery { actor?: string; target?: string; from?: string; to?: string; afterId?: number; limit?: number }

export interface AuditRow {
  id: number; at: string; actor: string; role: string | null; action: string; target: string | null;
  request_id: string | null; source: string | null; outcome: string; before: unknown; after: unknown;
}

/** Audit records matching the filters (from/to: ISO times or dates), oldest first, from `afterId`. */
export async function listAudit(ctx: Context, q: AuditQuery): Promise<AuditRow[]> {
  const time = (s: string | undefined, field: string) => {
    if (s === undefined) return null;
    const d = new Date(s);
    if (Number.isNaN(d.getTime())) throw new InputError('invalid_time', `${field} must be an ISO date or time`, field);
    return d;
  };
  const { rows } = await ctx.db.pg.query<AuditRow>(
    `select id, at, actor, role, action, target, request_id, source, outcome, before, after from audit_log
     where ($1::text is null or actor = $1) and ($2::text is null or target = $2)
       and ($3::timestamptz is null or at >= $3) and ($4::timestamptz is null or at < $4) and id > $5
     order by id limit $6`,
    [q.actor ?? null, q.target ?? null, time(q.from, 'from'), time(q.to, 'to'), q.afterId ?? 0, q.limit ?? 1000],
  );
  return rows.map((r) => ({ ...r, at: new Date(r.at).toISOString() }));
}
