import crypto from 'node:crypto';
import type { Context } from '../context.js';
import { withTransaction } from '../db/tx.js';
import { scrubPans } from '../cards/luhn.js';
import { auditPg, type Actor } from './audit.js';
import { DUMMY_HASH, verifyPassword } from './passwords.js';
import { Problem } from './problem.js';
import type { Principal, Role } from './roles.js';
import { localTime } from './time.js';
import { mobileIndex, normalizeMobile } from '../holders/pii.js';

/** A session ends after this long without a request. */
export const IDLE_MS = 8 * 3600_000;
/** Consecutive failed logins that lock an account, and for how long. */
export const MAX_FAILURES = 5;
export const LOCK_MS = 15 * 60_000;

const tokenHash = (token: string) => crypto.createHash('sha256').update(token).digest();

export interface LoginResult {
  token: string;
  expires_at: string;
  operator: { username: string; role: Role; merchant?: string; issuer?: string };
}

type Decision = { kind: 'ok'; result: LoginResult } | { kind: 'fail' } | { kind: 'locked'; seconds: number };

/**
 * Logs in (design §10): a locked account answers 429 with Retry-After whatever the password; a
 * wrong password, unknown or disabled user 401 (the same answer and about the same time); the
 * fifth consecutive failure locks the account for 15 minutes. The outcome is audited in the
 * transaction that counts it. The token (256 random bits) is returned once and stored hashed.
 */
export async function login(ctx: Context, who: string | { mobile: string }, password: string, meta: { requestId: string; source: string | null }): Promise<LoginResult> {
  const decision = await withTransaction(ctx.db.pg, async (c): Promise<Decision> => {
    const now = ctx.clock.now();
    // A cardholder logs in with the mobile number, found through its blind index (never stored or audited in clear).
    const byMobile = typeof who !== 'string';
    const { rows } = await c.query<{ id: number; username: string; role: Role; password_hash: string; failed_logins: number; locked_until: Date | null; disabled_at: Date | null; merchant: string | null; issuer: string | null }>(
      `select o.id, o.username, o.role, o.password_hash, o.failed_logins, o.locked_until, o.disabled_at, m.code as merchant, i.code as issuer
       from operators o left join merchants m on m.id = o.merchant_id left join issuers i on i.id = o.issuer_id
       where ${byMobile ? 'o.holder_id = (select id from holders where mobile_index = $1)' : 'o.username = $1'} for update of o`,
      [byMobile ? mobileIndex(ctx.keys, normalizeMobile(who.mobile)) : who]);
    const op = rows[0];
    const username = byMobile ? op?.username ?? 'holder.unknown' : who;
    const actor: Actor = { name: `api:${scrubPans(username)}`, role: op?.role ?? null, operatorId: op?.id ?? null, requestId: meta.requestId, source: meta.source };
    const audit = (outcome: string, after?: unknown) => auditPg(c, ctx, actor, { action: 'session.login', target: `operator:${scrubPans(username)}`, outcome, after });
    if (op?.locked_until && op.locked_until > now) {
      await audit('locked');
      return { kind: 'locked', seconds: Math.ceil((op.locked_until.getTime() - now.getTime()) / 1000) };
    }
    const matches = await verifyPassword(password, op?.password_hash ?? DUMMY_HASH);
    if (!op || op.disabled_at !== null) {
      await audit('unauthenticated');
      return { kind: 'fail' };
    }
    if (!matches) {
      const failures = op.failed_logins + 1;
      const lock = failures >= MAX_FAILURES ? new Date(now.getTime() + LOCK_MS) : null;
      await c.query('update operators set failed_logins = $2, locked_until = $3 where id = $1', [op.id, lock ? 0 : failures, lock]);
      await audit('unauthenticated', { failed_logins: failures, locked: lock !== null });
      return { kind: 'fail' };
    }
    await c.query('update operators set failed_logins = 0, locked_until = null where id = $1', [op.id]);
    const token = `pst_${crypto.randomBytes(32).toString('base64url')}`;
    await c.query('insert into operator_sessions (operator_id, token_hash, created_at, last_seen_at) values ($1, $2, $3, $3)', [op.id, tokenHash(token), now]);
    await audit('ok');
    return {
      kind: 'ok',
      result: {
        token, expires_at: localTime(new Date(now.getTime() + IDLE_MS), ctx.config.timezone),
        operator: { username, role: op.role, ...(op.merchant ? { merchant: op.merchant } : {}), ...(op.issuer ? { issuer: op.issuer } : {}) },
      },
    };
  });
  if (decision.kind === 'locked') throw new Problem(429, 'locked', 'the account is locked after repeated failed logins', { headers: { 'retry-after': String(decision.seconds) } });
  if (decision.kind === 'fail') throw new Problem(401, 'unauthenticated', 'unknown user or wrong password');
  return decision.result;
}

/**
 * The principal of a bearer token, or null when the token is unknown, logged out, idle for 8
 * hours, or its operator disabled. Touches the session (idle expiry counts from the last request).
 */
export async function authenticate(ctx: Context, token: string): Promise<Principal | null> {
  if (!/^pst_[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const now = ctx.clock.now();
  // In a transaction of its own so that a deadlock is retried: on Citus (design §9) sessions and
  // operators are reference tables, whose writes lock them cluster-wide, and a touch racing a
  // request's own writes can deadlock there (the detector cancels one of them).
  const { rows } = await withTransaction(ctx.db.pg, (c) => c.query<{ id: number; operator_id: number; username: string; role: Role; merchant_id: number | null; issuer_id: number | null; holder_id: number | null }>(
    `update operator_sessions s set last_seen_at = $2
     from operators o
     where s.token_hash = $1 and o.id = s.operator_id and s.ended_at is null and o.disabled_at is null and s.last_seen_at > $3
     returning s.id, s.operator_id, o.username, o.role, o.merchant_id, o.issuer_id, o.holder_id`,
    [tokenHash(token), now, new Date(now.getTime() - IDLE_MS)]));
  const r = rows[0];
  return r ? { operatorId: r.operator_id, username: r.username, role: r.role, merchantId: r.merchant_id, issuerId: r.issuer_id, sessionId: r.id, holderId: r.holder_id } : null;
}

/** Ends a session (logout), audited. */
export async function logout(ctx: Context, p: Principal, actor: Actor): Promise<void> {
  await withTransaction(ctx.db.pg, async (c) => {
    await c.query('update operator_sessions set ended_at = $2 where id = $1 and ended_at is null', [p.sessionId, ctx.clock.now()]);
    await auditPg(c, ctx, actor, { action: 'session.logout', target: `operator:${p.username}`, outcome: 'ok' });
  });
}

/** Checks an operator's password for the CLI's `--as USERNAME` (same lockout and audit as a login); returns the principal. */
export async function actAs(ctx: Context, username: string, password: string): Promise<Principal> {
  const { token } = await login(ctx, username, password, { requestId: 'cli', source: 'cli' });
  // The CLI keeps no session: the one the login opened ends at once.
  await ctx.db.pg.query('update operator_sessions set ended_at = $2 where token_hash = $1', [tokenHash(token), ctx.clock.now()]);
  const { rows } = await ctx.db.pg.query<{ id: number; role: Role; merchant_id: number | null; issuer_id: number | null; holder_id: number | null }>(
    'select id, role, merchant_id, issuer_id, holder_id from operators where username = $1', [username]);
  const r = rows[0]!;
  return { operatorId: r.id, username, role: r.role, merchantId: r.merchant_id, issuerId: r.issuer_id, sessionId: null, holderId: r.holder_id };
}
