import { InputError, NotFoundError, PurseError, TemporaryError } from '../errors.js';
import { scrubPans } from '../cards/luhn.js';

/** An answer of the management API that is not a success: rendered as RFC 9457 problem+json. */
export class Problem extends PurseError {
  constructor(readonly status: number, code: string, message: string, opts: { field?: string; headers?: Record<string, string>; extra?: Record<string, unknown> } = {}) {
    super(code, message, { field: opts.field });
    this.headers = opts.headers ?? {};
    this.extra = opts.extra ?? {};
  }
  readonly headers: Record<string, string>;
  /** Extension members of the problem body (RFC 9457 §3.2), e.g. an order's DE39-style `code`. */
  readonly extra: Record<string, unknown>;
}

export const unauthenticated = () => new Problem(401, 'unauthenticated', 'a valid bearer token is required');
export const forbidden = (what = 'this action is outside your role', field?: string) => new Problem(403, 'forbidden', what, { field });
export const notFound = (what = 'no such object') => new Problem(404, 'not_found', what);
export const conflict = (message: string, field?: string) => new Problem(409, 'conflict', message, { field });

/** The audit outcome of a problem status. */
export function outcomeOf(status: number): string {
  return ({ 400: 'invalid', 401: 'unauthenticated', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 429: 'locked' } as Record<number, string>)[status] ?? 'failed';
}

/** Any error as a Problem: typed Purse errors keep their code and field; anything else is a 500. */
export function toProblem(err: unknown): Problem {
  if (err instanceof Problem) return err;
  if (err instanceof TemporaryError) return new Problem(503, err.code, err.message, { headers: { 'retry-after': '1' } });
  if (err instanceof NotFoundError) return new Problem(404, err.code, err.message, { field: err.field });
  if (err instanceof InputError) return new Problem(err.code === 'duplicate' || err.code === 'conflict' ? 409 : 400, err.code, err.message, { field: err.field });
  if (err instanceof PurseError && err.exitCode === 1) return new Problem(400, err.code, err.message, { field: err.field });
  return new Problem(500, 'internal', 'internal error');
}

/** The RFC 9457 body of a problem (card numbers scrubbed from the text). */
export function problemBody(p: Problem, instance: string): Record<string, unknown> {
  return {
    type: `https://purse.invalid/problems/${p.code}`,
    title: p.code.replace(/_/g, ' '),
    status: p.status,
    detail: scrubPans(p.message),
    instance,
    ...(p.field ? { field: p.field } : {}),
    ...p.extra,
  };
}
