import type pg from 'pg';
import type { Context } from '../context.js';
import { withTransaction } from '../db/tx.js';
import { auditPg, type Actor } from './audit.js';
import { applyAdjustment, type AdjustmentPayload } from './adjustments.js';
import { conflict, forbidden, notFound } from './problem.js';
import { FI, IO, inScope, PA, type Principal, type Role } from './roles.js';
import { localTime } from './time.js';

export type ApprovalKind = 'adjustment' | 'load';

/** A maker-checker request as the API and the CLI show it. */
export interface Approval {
  id: number; kind: ApprovalKind; status: 'pending' | 'approved' | 'rejected' | 'expired';
  maker: string; checker: string | null; issuer: string | null; payload: Record<string, unknown>; total: number;
  file_sha256: string | null; created_at: string; expires_at: string; decided_at: string | null; result: unknown;
}

/** Who may make, and who may decide, each kind (design §10): adjustments finance; loads finance or the issuer's issuer_ops. */
export const MAKERS: Record<ApprovalKind, readonly Role[]> = { adjustment: [FI], load: [PA, FI, IO] };
export const CHECKERS: Record<ApprovalKind, readonly Role[]> = { adjustment: [FI], load: [FI, IO] };

const SELECT = `select a.id, a.kind, a.status, mk.username as maker, ck.username as checker, i.code as issuer, a.issuer_id, a.maker_id,
  a.payload, a.total, a.file_sha256, a.created_at, a.expires_at, a.decided_at, a.result
  from approvals a join operators mk on mk.id = a.maker_id left join operators ck on ck.id = a.checker_id left join issuers i on i.id = a.issuer_id`;

type Row = Omit<Approval, 'created_at' | 'expires_at' | 'decided_at'> & { issuer_id: number | null; maker_id: number; created_at: Date; expires_at: Date; decided_at: Date | null };

function shape(ctx: Context, r: Row): Approval {
  const tz = ctx.config.timezone;
  return {
    id: r.id, kind: r.kind, status: r.status, maker: r.maker, checker: r.checker, issuer: r.issuer, payload: r.payload, total: r.total,
    file_sha256: r.file_sha256, created_at: localTime(r.created_at, tz), expires_at: localTime(r.expires_at, tz),
    decided_at: r.decided_at ? localTime(r.decided_at, tz) : null, result: r.result,
  };
}

/**
 * Records a pending request in the caller's transaction, audited there; `rows` and `fileSha256`
 * for a load. It expires after PURSE_APPROVAL_TTL_DAYS.
 */
export async function createApproval(ctx: Context, c: pg.ClientBase, maker: Principal, actor: Actor,
  req: { kind: ApprovalKind; payload: Record<string, unknown>; total: number; issuerId?: number | null; rows?: unknown[]; fileSha256?: string }): Promise<Approval> {
  if (!MAKERS[req.kind].includes(maker.role)) throw forbidden(`a ${maker.role} cannot request a ${req.kind}`);
  const now = ctx.clock.now();
  const expires = new Date(now.getTime() + ctx.config.approvalTtlDays * 86_400_000);
  const { rows } = await c.query<{ id: number }>(
    `insert into approvals (kind, status, maker_id, issuer_id, payload, rows, file_sha256, total, created_at, expires_at)
     values ($1, 'pending', $2, $3, $4, $5, $6, $7, $8, $9) returning id`,
    [req.kind, maker.operatorId, req.issuerId ?? null, JSON.stringify(req.payload), req.rows ? JSON.stringify(req.rows) : null, req.fileSha256 ?? null, req.total, now, expires]);
  const a = await byId(ctx, c, rows[0]!.id);
  await auditPg(c, ctx, actor, { action: `${req.kind}.request`, target: `approval:${a.id}`, outcome: 'ok', after: { ...a, result: undefined } });
  return a;
}

async function byId(ctx: Context, c: pg.ClientBase | pg.Pool, id: number, lock = false): Promise<Approval> {
  const row = await rowById(c, id, lock);
  if (!row) throw notFound(`approval ${id} not found`);
  return shape(ctx, row);
}

async function rowById(c: pg.ClientBase | pg.Pool, id: number, lock = false): Promise<Row | undefined> {
  return (await c.query<Row>(`${SELECT} where a.id = $1${lock ? ' for update of a' : ''}`, [id])).rows[0];
}

/** The owner of an approval for the scope check: a load belongs to its issuer (when it has one issuer). */
export async function approvalOwner(ctx: Context, id: number): Promise<{ issuerId: number | null } | null> {
  const { rows } = await ctx.db.pg.query<{ issuer_id: number | null; kind: string }>('select issuer_id, kind from approvals where id = $1', [id]);
  return rows[0] ? { issuerId: rows[0].kind === 'load' ? rows[0].issuer_id : null } : null;
}

/** Moves pending requests past their expiry to `expired` (moving nothing), each audited. */
export async function expireApprovals(ctx: Context): Promise<number> {
  return withTransaction(ctx.db.pg, async (c) => {
    const { rows } = await c.query<{ id: number }>(
      "update approvals set status = 'expired', decided_at = $1 where status = 'pending' and expires_at <= $1 returning id", [ctx.clock.now()]);
    const system = { name: 'system:approval-expiry', role: null, operatorId: null, requestId: null, source: null };
    for (const r of rows) await auditPg(c, ctx, system, { action: 'approval.expire', target: `approval:${r.id}`, outcome: 'ok' });
    return rows.length;
  });
}

/** Requests the principal may see: finance all; issuer_ops its issuer's loads. Expired ones are marked first. */
export async function listApprovals(ctx: Context, p: Principal, q: { status?: string; afterId?: number; limit?: number } = {}): Promise<Approval[]> {
  await expireApprovals(ctx);
  const { rows } = await ctx.db.pg.query<Row>(`${SELECT} where ($1::text is null or a.status = $1) and a.id > $2
    and ($3::bigint is null or (a.kind = 'load' and a.issuer_id = $3)) order by a.id limit $4`,
  [q.status ?? null, q.afterId ?? 0, p.role === IO ? p.issuerId : null, q.limit ?? 100_000]);
  return rows.map((r) => shape(ctx, r));
}

/** What approving a load does (batch/load-approval.ts registers it: the load path lives there). */
export type LoadApplier = (ctx: Context, approvalId: number, actor: Actor) => Promise<unknown>;

/**
 * Approves or rejects a pending request as `checker`: only a role that may decide its kind, in
 * scope (issuer_ops: its issuer's loads; else 404), never its maker (403); an expired or decided
 * one is a 409 and moves nothing. An approved adjustment posts in the same transaction as the
 * decision and its audit record; an approved load is applied right after its decision commits.
 */
export async function decideApproval(ctx: Context, checker: Principal, actor: Actor, id: number, decision: 'approve' | 'reject', applyLoad?: LoadApplier): Promise<Approval> {
  await expireApprovals(ctx);
  const decided = await withTransaction(ctx.db.pg, async (c) => {
    const row = await rowById(c, id, true);
    if (!row || !inScope(checker, { issuerId: row.kind === 'load' ? row.issuer_id : null })) throw notFound(`approval ${id} not found`);
    if (!CHECKERS[row.kind].includes(checker.role)) throw forbidden(`a ${checker.role} cannot decide a ${row.kind}`);
    if (row.maker_id === checker.operatorId) throw forbidden('nobody approves their own request');
    if (row.status !== 'pending') throw conflict(`approval ${id} is ${row.status}`, 'id');
    let result: unknown = null;
    if (decision === 'approve' && row.kind === 'adjustment') result = await applyAdjustment(ctx, c, id, row.payload as unknown as AdjustmentPayload);
    await c.query('update approvals set status = $2, checker_id = $3, decided_at = $4, result = $5 where id = $1',
      [id, decision === 'approve' ? 'approved' : 'rejected', checker.operatorId, ctx.clock.now(), result === null ? null : JSON.stringify(result)]);
    const after = await byId(ctx, c, id);
    await auditPg(c, ctx, actor, { action: `approval.${decision}`, target: `approval:${id}`, outcome: 'ok', before: { status: 'pending', maker: row.maker }, after: { ...after, payload: undefined } });
    return after;
  });
  if (decision === 'approve' && decided.kind === 'load') {
    if (!applyLoad) throw new Error('a load approval needs the load applier');
    await applyLoad(ctx, id, actor);
    return byId(ctx, ctx.db.pg, id);
  }
  return decided;
}
