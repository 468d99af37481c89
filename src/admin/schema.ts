import { z } from 'zod';
import { Problem } from './problem.js';

/** Shared pieces of request schemas (strict objects: an unknown field is a 400 naming it). */
export const limit = z.string().regex(/^\d{1,3}$/, 'an integer from 1 to 500').transform(Number)
  .refine((n) => n >= 1 && n <= 500, 'an integer from 1 to 500').optional();
export const cursor = z.string().max(200).optional();
export const page = { cursor, limit };
export const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');
export const intString = z.string().regex(/^\d{1,15}$/, 'a non-negative integer').transform(Number);
export const code = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/, 'a code: 1–32 of A-Z a-z 0-9 _ . -');
export const money = z.number().int().refine(Number.isSafeInteger, 'a safe integer');

/** Parses `value` with `schema`, or throws a 400 Problem naming the first field at fault. */
export function parse<T extends z.ZodTypeAny>(schema: T, value: unknown, where: 'body' | 'query' | 'path'): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = issue.code === 'unrecognized_keys' ? issue.keys[0]! : issue.path.join('.') || where;
  const message = issue.code === 'unrecognized_keys' ? `unknown field ${JSON.stringify(field)}` : `${field}: ${issue.message}`;
  throw new Problem(400, 'invalid_request', message, { field });
}

/** An opaque list cursor: the last key of a page. */
export function encodeCursor(key: number | string): string {
  return Buffer.from(JSON.stringify({ k: key })).toString('base64url');
}

export function decodeCursor(c: string | undefined): number | string | null {
  if (c === undefined) return null;
  try {
    const v = (JSON.parse(Buffer.from(c, 'base64url').toString()) as { k?: unknown }).k;
    if (typeof v === 'number' || typeof v === 'string') return v;
  } catch { /* falls through to the 400 */ }
  throw new Problem(400, 'invalid_cursor', 'cursor is not one this API issued', { field: 'cursor' });
}

/** A page of rows read with `limit + 1`: `{ items, next_cursor }`. */
export function pageOf<T>(rows: T[], lim: number, key: (r: T) => number | string): { items: T[]; next_cursor: string | null } {
  const items = rows.slice(0, lim);
  return { items, next_cursor: rows.length > lim ? encodeCursor(key(items[items.length - 1]!)) : null };
}

/** Numeric cursor (an id) of a page request. */
export function afterId(c: string | undefined): number {
  const k = decodeCursor(c);
  if (k === null) return 0;
  if (typeof k !== 'number') throw new Problem(400, 'invalid_cursor', 'cursor is not one this API issued', { field: 'cursor' });
  return k;
}
