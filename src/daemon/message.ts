import crypto from 'node:crypto';
import { z } from 'zod';
import { InputError } from '../errors.js';
import { scrubPans } from '../cards/luhn.js';

/**
 * The request message of design §5: the fields every type draws from (zod schemas whose
 * `description` is also the "must be …" of a 400), the strict schema of each type, parsing into a
 * protocol-neutral Message, and the keyed hash idempotency compares.
 */

const REQUEST_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
/**
 * Merchant and terminal: any string of 1–64 characters. Design §5 makes one that names no registered
 * merchant or terminal a processed decline (58), so a code outside the registry's format is unknown,
 * not unreadable.
 */
const PARTY_CODE = /^\P{Cc}{1,64}$/u;

const text = (pattern: RegExp, what: string) => z.string().regex(pattern).describe(what);

/** The schema of each field a message type may define, by its JSON name. Required as given; `optional()` makes one optional. */
export const FIELDS = {
  request_id: text(REQUEST_ID, '1–64 characters of A-Z a-z 0-9 _ . : -'),
  // Format only: a Luhn-invalid number is a processed decline (14), not a 400.
  card: text(/^[0-9]{13,19}$/, 'a string of 13–19 digits'),
  amount: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).describe('an integer greater than 0 (minor units)'),
  merchant: text(PARTY_CODE, 'a merchant code (1–64 characters)'),
  terminal: text(PARTY_CODE, 'a terminal code (1–64 characters)'),
  original_request_id: text(REQUEST_ID, 'a request_id (1–64 characters of A-Z a-z 0-9 _ . : -)'),
  partial: z.boolean().describe('true or false'),
  pin: text(/^[0-9]{4,12}$/, 'a string of 4–12 digits'),
  scheme: text(CODE, 'a scheme code'),
  to_scheme: text(CODE, 'a scheme code'),
  game: text(CODE, 'a game code'),
  // Well-formed but not the card program's currency is a processed decline (13), decided with the card.
  currency: text(/^[A-Z]{3}$/, 'an ISO 4217 alphabetic code (three capital letters)'),
} as const;

/** An optional field: absent or null both mean "not given". */
export function optional<S extends z.ZodTypeAny>(s: S) {
  return s.nullish();
}

/** The strict schema of one message type: request_id, the `type` literal and the given fields; any other field is an error. */
export function request<T extends string, S extends z.ZodRawShape>(type: T, shape: S) {
  return z.object({ request_id: FIELDS.request_id, type: z.literal(type), ...shape }).strict();
}

/** A message type's request schema (what a handler declares). */
export type RequestSchema = z.AnyZodObject;

const f = FIELDS;
const o = { amount: optional(f.amount), merchant: optional(f.merchant), terminal: optional(f.terminal), original_request_id: optional(f.original_request_id), partial: optional(f.partial), pin: optional(f.pin), scheme: optional(f.scheme), currency: optional(f.currency) };
const points = f.amount.describe('an integer greater than 0 (points)');
const at = { merchant: f.merchant, terminal: f.terminal };
const atOptional = { merchant: o.merchant, terminal: o.terminal };

/**
 * The request schema of every type of design §5 (each handler declares its own as `schema`).
 * `currency` is defined on every type with an `amount`, and on `balance`; `void`, `reversal` and
 * `lottery` have no amount (the original, or the game, fixes it).
 */
export const REQUESTS = {
  balance: request('balance', { card: f.card, ...at, pin: o.pin, currency: o.currency }),
  activate: request('activate', { card: f.card, amount: o.amount, ...at, currency: o.currency }),
  load: request('load', { card: f.card, amount: f.amount, ...at, currency: o.currency }),
  purchase: request('purchase', { card: f.card, amount: f.amount, ...at, partial: o.partial, pin: o.pin, currency: o.currency }),
  preauth: request('preauth', { card: f.card, amount: f.amount, ...at, partial: o.partial, pin: o.pin, currency: o.currency }),
  capture: request('capture', { original_request_id: f.original_request_id, amount: o.amount, ...atOptional, currency: o.currency }),
  void: request('void', { original_request_id: f.original_request_id, ...atOptional }),
  reversal: request('reversal', { original_request_id: f.original_request_id, ...atOptional }),
  refund: request('refund', { original_request_id: f.original_request_id, amount: f.amount, ...atOptional, currency: o.currency }),
  points_earn: request('points_earn', { card: f.card, amount: f.amount, ...at, original_request_id: o.original_request_id, currency: o.currency }),
  points_redeem: request('points_redeem', { card: f.card, amount: points, ...at, partial: o.partial, pin: o.pin, scheme: o.scheme, currency: o.currency }),
  points_load: request('points_load', { card: f.card, amount: points, ...at, scheme: o.scheme, currency: o.currency }),
  points_exchange: request('points_exchange', { card: f.card, amount: points, ...at, pin: o.pin, scheme: o.scheme, to_scheme: f.to_scheme, currency: o.currency }),
  lottery: request('lottery', { card: f.card, ...at, pin: o.pin, game: f.game }),
} as const;

export type RequestType = keyof typeof REQUESTS;

/** Message field → JSON field. */
interface Wire {
  card: 'card'; amount: 'amount'; merchant: 'merchant'; terminal: 'terminal'; originalRequestId: 'original_request_id';
  partial: 'partial'; pin: 'pin'; scheme: 'scheme'; toScheme: 'to_scheme'; game: 'game'; currency: 'currency';
}

/**
 * The message of one type, derived from its schema: a field the type requires is non-null, one it
 * accepts is nullable, one it does not define is null (`partial` is false unless given).
 */
export type MessageOf<T extends RequestType> = MessageFrom<z.infer<(typeof REQUESTS)[T]>>;
type MessageFrom<B extends { request_id: string; type: string }> = { requestId: string; type: B['type'] } & {
  [K in keyof Wire]: K extends 'partial'
    ? boolean
    : Wire[K] extends keyof B ? (null extends B[Wire[K]] ? NonNullable<B[Wire[K]]> | null : B[Wire[K]]) : null;
};

/**
 * One validated real-time message, independent of the protocol it came in (HTTP/JSON, ISO 8583):
 * a union discriminated by `type`. Fields a type does not define are null.
 */
export type Message = { [T in RequestType]: MessageOf<T> }[RequestType];

/** The fields of any message, for code that builds one before knowing its type statically. */
export interface MessageFields {
  requestId: string;
  type: string;
  card: string | null;
  amount: number | null;
  merchant: string | null;
  terminal: string | null;
  originalRequestId: string | null;
  partial: boolean;
  pin: string | null;
  scheme: string | null;
  toScheme: string | null;
  game: string | null;
  currency: string | null;
}

function bad(code: string, field: string, message: string): never {
  throw new InputError(code, message, field);
}

/** A name from the body as an answer may show it: bounded, quoted, never a card number. */
const shown = (name: string) => scrubPans(JSON.stringify(name.slice(0, 64)));
const fieldName = (name: string) => scrubPans(name.slice(0, 64));

function describeOf(s: z.ZodTypeAny): string {
  let t: z.ZodTypeAny = s;
  while (!t.description && (t instanceof z.ZodOptional || t instanceof z.ZodNullable)) t = t.unwrap() as z.ZodTypeAny;
  return t.description ?? 'valid';
}

/** The 400 for the first issue zod found (shape order: a field's own error before an unknown field). */
function issueError(type: string, schema: RequestSchema, issue: z.ZodIssue): never {
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    bad('unknown_field', fieldName(key), `unknown field ${shown(key)} for type ${type}`);
  }
  const field = String(issue.path[0] ?? 'body');
  const fieldSchema = (schema.shape as Record<string, z.ZodTypeAny | undefined>)[field];
  if (issue.code === 'invalid_type' && (issue.received === 'undefined' || issue.received === 'null')) bad('invalid_message', field, `${field} is required for this type`);
  bad('invalid_message', field, `${field} must be ${fieldSchema ? describeOf(fieldSchema) : 'valid'}`);
}

/**
 * Reads a decoded JSON body into a Message: anything unreadable (not an object, missing field the
 * type needs, wrong type or format, unknown type, a field the type does not define) throws
 * InputError naming the field — the daemon answers 400 and stores nothing. `schemaOf` gives a
 * type's schema, or undefined when the type is unknown. A Luhn-invalid card number, an unknown
 * merchant or a foreign currency are NOT errors here: they are processed declines (14, 58, 13).
 */
export function parseMessage(body: unknown, schemaOf: (type: string) => RequestSchema | undefined): Message {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) bad('invalid_message', 'body', 'body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (typeof b.request_id !== 'string' || !REQUEST_ID.test(b.request_id)) {
    bad('invalid_message', 'request_id', b.request_id === undefined || b.request_id === null ? 'request_id is required' : `request_id must be ${FIELDS.request_id.description}`);
  }
  if (typeof b.type !== 'string') bad('invalid_message', 'type', 'type is required');
  const schema = schemaOf(b.type);
  if (!schema) bad('invalid_message', 'type', `unknown type ${shown(b.type.slice(0, 40))}`); // answers never echo a card number
  const parsed = schema.safeParse(b);
  if (!parsed.success) issueError(b.type, schema, parsed.error.issues[0]!);
  const d = parsed.data as Record<string, unknown>;
  const m: MessageFields = {
    requestId: b.request_id, type: b.type,
    card: (d.card as string | null | undefined) ?? null,
    amount: (d.amount as number | null | undefined) ?? null,
    merchant: (d.merchant as string | null | undefined) ?? null,
    terminal: (d.terminal as string | null | undefined) ?? null,
    originalRequestId: (d.original_request_id as string | null | undefined) ?? null,
    partial: (d.partial as boolean | null | undefined) ?? false,
    pin: (d.pin as string | null | undefined) ?? null,
    scheme: (d.scheme as string | null | undefined) ?? null,
    toScheme: (d.to_scheme as string | null | undefined) ?? null,
    game: (d.game as string | null | undefined) ?? null,
    currency: (d.currency as string | null | undefined) ?? null,
  };
  if (m.originalRequestId === m.requestId) bad('invalid_message', 'original_request_id', 'original_request_id must differ from request_id');
  return m as Message;
}

/**
 * Keyed hash of the canonical message (the validated fields in a fixed order): what the
 * idempotency record keeps instead of the body. Keyed (HMAC) because the body holds a PAN and
 * maybe a PIN, both from small spaces a plain hash would not protect. `currency` is appended only
 * when given, so a message without it hashes as before the field existed (a retry across the
 * upgrade still finds its stored answer instead of a 409).
 */
export function messageHash(key: Buffer, m: MessageFields): Buffer {
  const fields: unknown[] = [m.requestId, m.type, m.card, m.amount, m.merchant, m.terminal, m.originalRequestId, m.partial, m.pin, m.scheme, m.toScheme, m.game];
  if (m.currency !== null) fields.push(m.currency);
  return crypto.createHmac('sha256', key).update(JSON.stringify(fields)).digest();
}
