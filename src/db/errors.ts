import { PurseError, TemporaryError } from '../errors.js';

/** The SQLSTATE of a database error, looking through slonik's wrapping. */
export function sqlState(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Serialization failure or deadlock: the whole transaction may be retried. */
export function isRetryable(err: unknown): boolean {
  const s = sqlState(err);
  return s === '40001' || s === '40P01';
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);

/** The database cannot be reached or is shutting down. */
export function isUnavailable(err: unknown): boolean {
  const s = sqlState(err);
  if (s && (s.startsWith('08') || s === '57P01' || s === '57P02' || s === '57P03' || s === '53300')) return true;
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    const msg = (e as { message?: unknown }).message;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    if (typeof msg === 'string' && /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(msg)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** The server refused us for good: bad credentials (class 28) or no such database (3D000). */
function isRefused(err: unknown): boolean {
  const s = sqlState(err);
  return s !== undefined && (s.startsWith('28') || s === '3D000');
}

/** The innermost message of a wrapped error (pg's own text: never contains the URL or password). */
function rootMessage(err: unknown): string {
  let e: unknown = err;
  let msg = '';
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const m = (e as { message?: unknown }).message;
    if (typeof m === 'string' && m) msg = m;
    e = (e as { cause?: unknown }).cause;
  }
  return msg || String(err);
}

/**
 * The one place SQLSTATEs become Purse errors: unavailable → TemporaryError (exit 75, "try again
 * later"); credentials or database name refused → exit 1 naming DATABASE_URL (retrying cannot
 * help); anything already a PurseError passes through; the rest is returned unchanged (a bug).
 */
export function mapDbError(err: unknown): unknown {
  if (err instanceof PurseError) return err;
  if (isUnavailable(err)) {
    return new TemporaryError(`database unavailable (${rootMessage(err)}): is PostgreSQL running and DATABASE_URL right? Try again later`, err);
  }
  if (isRefused(err)) {
    return new PurseError('database_refused', `the database refused the connection (${rootMessage(err)}): check DATABASE_URL`, { field: 'DATABASE_URL', exitCode: 1, cause: err });
  }
  return err;
}
