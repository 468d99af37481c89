import crypto from 'node:crypto';
import { InputError } from '../errors.js';
import { scrubPans } from '../cards/luhn.js';

/**
 * One validated real-time message, independent of the protocol it came in (HTTP/JSON now,
 * ISO 8583 later). Fields a type does not use are null.
 */
export interface Message {
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
  /**
   * The channel of the original when it is not this message's own: set only by the management
   * API's WEB-SEAT refund of a transaction another channel submitted (design §10). Absent = same channel.
   */
  originalChannelId?: number | null;
}

/** Whether a message type requires, accepts or ignores a field. */
export type Need = 'required' | 'optional' | 'unused';

/** The fields a message type reads (each handler declares its own). */
export interface FieldSpec {
  card: Need;
  amount: Need;
  merchant: Need;
  original: Need;
  partial?: boolean;
  pin?: boolean;
  scheme?: Need;
  toScheme?: Need;
  game?: Need;
}

const REQUEST_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
/**
 * Merchant and terminal: any string of 1–64 characters. Design §5 makes one that names no registered
 * merchant or terminal a processed decline (58), so a code outside the registry's format is unknown,
 * not unreadable.
 */
const PARTY_CODE = /^\P{Cc}{1,64}$/u;

function bad(field: string, message: string): never {
  throw new InputError('invalid_message', message, field);
}

function str(body: Record<string, unknown>, field: string, need: Need, pattern: RegExp, what: string): string | null {
  const v = body[field];
  if (need === 'unused') return null;
  if (v === undefined || v === null) {
    if (need === 'required') bad(field, `${field} is required for this type`);
    return null;
  }
  if (typeof v !== 'string' || !pattern.test(v)) bad(field, `${field} must be ${what}`);
  return v;
}

/**
 * Reads a decoded JSON body into a Message: anything unreadable (wrong JSON type, missing field
 * the type needs, bad format, unknown type) throws InputError naming the field — the daemon
 * answers 400 and stores nothing. `specOf` gives the field rules of a type, or undefined when the
 * type is unknown. A Luhn-invalid card number is NOT an error here: it is a processed decline (14).
 */
export function parseMessage(body: unknown, specOf: (type: string) => FieldSpec | undefined): Message {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) bad('body', 'body must be a JSON object');
  const b = body as Record<string, unknown>;
  const requestId = str(b, 'request_id', 'required', REQUEST_ID, '1–64 characters of A-Z a-z 0-9 _ . : -')!;
  if (typeof b.type !== 'string') bad('type', 'type is required');
  const spec = specOf(b.type);
  if (!spec) bad('type', `unknown type ${scrubPans(JSON.stringify(b.type.slice(0, 40)))}`); // answers never echo a card number
  const card = str(b, 'card', spec.card, /^[0-9]{13,19}$/, 'a string of 13–19 digits');
  let amount: number | null = null;
  if (spec.amount !== 'unused' && b.amount !== undefined && b.amount !== null) {
    if (typeof b.amount !== 'number' || !Number.isSafeInteger(b.amount) || b.amount <= 0) bad('amount', 'amount must be an integer greater than 0 (minor units)');
    amount = b.amount;
  } else if (spec.amount === 'required') bad('amount', 'amount is required for this type');
  const merchant = str(b, 'merchant', spec.merchant, PARTY_CODE, 'a merchant code (1–64 characters)');
  const terminal = str(b, 'terminal', spec.merchant, PARTY_CODE, 'a terminal code (1–64 characters)');
  const originalRequestId = str(b, 'original_request_id', spec.original, REQUEST_ID, 'a request_id (1–64 characters of A-Z a-z 0-9 _ . : -)');
  if (originalRequestId === requestId) bad('original_request_id', 'original_request_id must differ from request_id');
  let partial = false;
  if (spec.partial && b.partial !== undefined && b.partial !== null) {
    if (typeof b.partial !== 'boolean') bad('partial', 'partial must be true or false');
    partial = b.partial;
  }
  const pin = spec.pin ? str(b, 'pin', 'optional', /^[0-9]{4,12}$/, 'a string of 4–12 digits') : null;
  return {
    requestId, type: b.type, card, amount, merchant, terminal, originalRequestId, partial, pin,
    scheme: str(b, 'scheme', spec.scheme ?? 'unused', CODE, 'a scheme code'),
    toScheme: str(b, 'to_scheme', spec.toScheme ?? 'unused', CODE, 'a scheme code'),
    game: str(b, 'game', spec.game ?? 'unused', CODE, 'a game code'),
  };
}

/**
 * Keyed hash of the canonical message (the validated fields in a fixed order): what the
 * idempotency record keeps instead of the body. Keyed (HMAC) because the body holds a PAN and
 * maybe a PIN, both from small spaces a plain hash would not protect.
 */
export function messageHash(key: Buffer, m: Message): Buffer {
  const canonical = JSON.stringify([m.requestId, m.type, m.card, m.amount, m.merchant, m.terminal, m.originalRequestId, m.partial, m.pin, m.scheme, m.toScheme, m.game]);
  return crypto.createHmac('sha256', key).update(canonical).digest();
}
