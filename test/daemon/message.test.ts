import crypto from 'node:crypto';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { HANDLERS } from '../../src/daemon/handlers/index.js';
import { messageHash, parseMessage, REQUESTS, type Message, type MessageFields, type MessageOf } from '../../src/daemon/message.js';
import { duplicateKey } from '../../src/daemon/json-keys.js';
import { InputError } from '../../src/errors.js';

// The request parser as a decision table, without PostgreSQL: body → Message, or 400 naming a field.
const schemaOf = (type: string) => HANDLERS.get(type)?.schema;
const PAN = '6220001234567898'; // Luhn-valid
const at = { merchant: 'M1', terminal: 'T1' };
const none = { card: null, amount: null, merchant: null, terminal: null, originalRequestId: null, partial: false, pin: null, scheme: null, toScheme: null, game: null, currency: null };

/** The field a body is refused for (and the error code), or the message it reads as. */
function read(body: unknown): Message | { field: string | null; code: string } {
  try {
    return parseMessage(body, schemaOf);
  } catch (err) {
    if (err instanceof InputError) return { field: err.field ?? null, code: err.code };
    throw err;
  }
}

const accepted: [string, Record<string, unknown>, Partial<MessageFields>][] = [
  ['a purchase with every field it defines', { request_id: 'r1', type: 'purchase', card: PAN, amount: 100, ...at, partial: true, pin: '1234', currency: 'CNY' },
    { card: PAN, amount: 100, ...at, partial: true, pin: '1234', currency: 'CNY' }],
  ['optional fields absent or null read as not given', { request_id: 'r1', type: 'purchase', card: PAN, amount: 100, ...at, partial: null, pin: null, currency: null },
    { card: PAN, amount: 100, ...at }],
  ['a Luhn-invalid card of the right length is read (declined 14 later, not a 400)', { request_id: 'r1', type: 'load', card: '6220001234567899', amount: 1, ...at },
    { card: '6220001234567899', amount: 1, ...at }],
  ['a merchant outside the registry format is read (declined 58 later)', { request_id: 'r1', type: 'balance', card: PAN, merchant: 'm 1/ü', terminal: 'T 1' },
    { card: PAN, merchant: 'm 1/ü', terminal: 'T 1' }],
  ['a balance inquiry with a currency', { request_id: 'r1', type: 'balance', card: PAN, ...at, currency: 'USD' }, { card: PAN, ...at, currency: 'USD' }],
  ['an activation without an amount', { request_id: 'r1', type: 'activate', card: PAN, ...at }, { card: PAN, ...at }],
  ['a capture without amount or merchant (the preauth fixes them)', { request_id: 'r2', type: 'capture', original_request_id: 'r1' }, { originalRequestId: 'r1' }],
  ['a void names only its original', { request_id: 'r3', type: 'void', original_request_id: 'r1', ...at }, { originalRequestId: 'r1', ...at }],
  ['a refund with its amount and currency', { request_id: 'r4', type: 'refund', original_request_id: 'r1', amount: 5, currency: 'CNY' }, { originalRequestId: 'r1', amount: 5, currency: 'CNY' }],
  ['points_earn optionally names the purchase it rewards', { request_id: 'r5', type: 'points_earn', card: PAN, amount: 500, ...at, original_request_id: 'r1' },
    { card: PAN, amount: 500, ...at, originalRequestId: 'r1' }],
  ['points_exchange with both schemes', { request_id: 'r6', type: 'points_exchange', card: PAN, amount: 50, ...at, scheme: 'A', to_scheme: 'B' },
    { card: PAN, amount: 50, ...at, scheme: 'A', toScheme: 'B' }],
  ['a lottery names its game', { request_id: 'r7', type: 'lottery', card: PAN, ...at, game: 'dice' }, { card: PAN, ...at, game: 'dice' }],
];

const refused: [string, unknown, string, string?][] = [
  ['not an object', [1, 2], 'body'],
  ['null', null, 'body'],
  ['request_id missing', { type: 'balance', card: PAN, ...at }, 'request_id'],
  ['request_id malformed (before anything else)', { request_id: 'a b', type: 'teleport' }, 'request_id'],
  ['type missing', { request_id: 'r1', card: PAN }, 'type'],
  ['type unknown', { request_id: 'r1', type: 'teleport' }, 'type'],
  ['type not a string', { request_id: 'r1', type: 7 }, 'type'],
  ['a required card missing', { request_id: 'r1', type: 'purchase', amount: 1, ...at }, 'card'],
  ['a required card null', { request_id: 'r1', type: 'purchase', card: null, amount: 1, ...at }, 'card'],
  ['a card of 12 digits', { request_id: 'r1', type: 'purchase', card: '622000123456', amount: 1, ...at }, 'card'],
  ['a card as a number', { request_id: 'r1', type: 'purchase', card: 6220001234567890, amount: 1, ...at }, 'card'],
  ['amount zero', { request_id: 'r1', type: 'purchase', card: PAN, amount: 0, ...at }, 'amount'],
  ['amount fractional', { request_id: 'r1', type: 'purchase', card: PAN, amount: 1.5, ...at }, 'amount'],
  ['amount beyond a safe integer', { request_id: 'r1', type: 'purchase', card: PAN, amount: 1e20, ...at }, 'amount'],
  ['amount as a string', { request_id: 'r1', type: 'purchase', card: PAN, amount: '100', ...at }, 'amount'],
  ['amount missing on a refund', { request_id: 'r1', type: 'refund', original_request_id: 'r0' }, 'amount'],
  ['terminal missing', { request_id: 'r1', type: 'purchase', card: PAN, amount: 1, merchant: 'M1' }, 'terminal'],
  ['merchant empty', { request_id: 'r1', type: 'purchase', card: PAN, amount: 1, merchant: '', terminal: 'T1' }, 'merchant'],
  ['original missing on a void (named before the unknown amount)', { request_id: 'r1', type: 'void', amount: 10 }, 'original_request_id'],
  ['original equal to request_id', { request_id: 'r1', type: 'void', original_request_id: 'r1' }, 'original_request_id'],
  ['partial not a boolean', { request_id: 'r1', type: 'purchase', card: PAN, amount: 1, ...at, partial: 'yes' }, 'partial'],
  ['pin not digits', { request_id: 'r1', type: 'purchase', card: PAN, amount: 1, ...at, pin: '12ab' }, 'pin'],
  ['to_scheme missing on points_exchange', { request_id: 'r1', type: 'points_exchange', card: PAN, amount: 1, ...at }, 'to_scheme'],
  ['game missing on a lottery', { request_id: 'r1', type: 'lottery', card: PAN, ...at }, 'game'],
  ['currency in lower case', { request_id: 'r1', type: 'purchase', card: PAN, amount: 1, ...at, currency: 'cny' }, 'currency'],
  ['currency of two letters', { request_id: 'r1', type: 'purchase', card: PAN, amount: 1, ...at, currency: 'CN' }, 'currency'],
  ['currency as the numeric code', { request_id: 'r1', type: 'purchase', card: PAN, amount: 1, ...at, currency: 156 }, 'currency'],
  ['a misspelt field on a capture', { request_id: 'r1', type: 'capture', original_request_id: 'r0', amout: 1000 }, 'amout', 'unknown_field'],
  ['amount on a balance inquiry', { request_id: 'r1', type: 'balance', card: PAN, ...at, amount: 5 }, 'amount', 'unknown_field'],
  ['pin on a load', { request_id: 'r1', type: 'load', card: PAN, amount: 5, ...at, pin: '1234' }, 'pin', 'unknown_field'],
  ['currency on a void', { request_id: 'r1', type: 'void', original_request_id: 'r0', currency: 'CNY' }, 'currency', 'unknown_field'],
  ['currency on a lottery', { request_id: 'r1', type: 'lottery', card: PAN, ...at, game: 'dice', currency: 'CNY' }, 'currency', 'unknown_field'],
  ['card on a refund (the original fixes it)', { request_id: 'r1', type: 'refund', original_request_id: 'r0', amount: 1, card: PAN }, 'card', 'unknown_field'],
];

describe('parseMessage: bodies that read as a message', () => {
  it.each(accepted)('%s', (_name, body, expected) => {
    const m = read(body);
    expect(m).toEqual({ ...none, requestId: body.request_id, type: body.type, ...expected });
  });
});

describe('parseMessage: bodies refused with a 400 naming the field', () => {
  it.each(refused.map(([name, ...rest]) => [`${name} → ${rest[1]}`, ...rest] as const))('%s', (_name, body, field, code) => {
    const r = read(body);
    expect(r).toEqual({ field, code: code ?? 'invalid_message' });
  });

  it('an unknown field whose name is a card number is not echoed', () => {
    const r = read({ request_id: 'r1', type: 'balance', card: PAN, ...at, [PAN]: 1 });
    expect(r).toMatchObject({ code: 'unknown_field' });
    expect(JSON.stringify(r)).not.toContain(PAN);
  });

  it('says what the field must be', () => {
    expect(() => parseMessage({ request_id: 'r1', type: 'purchase', card: PAN, amount: 1, ...at, currency: 'usd' }, schemaOf))
      .toThrow('currency must be an ISO 4217 alphabetic code (three capital letters)');
    expect(() => parseMessage({ request_id: 'r1', type: 'capture', original_request_id: 'r0', amout: 1 }, schemaOf)).toThrow('unknown field "amout" for type capture');
    expect(() => parseMessage({ request_id: 'r1', type: 'purchase', card: PAN, amount: 0, ...at }, schemaOf)).toThrow('amount must be an integer greater than 0 (minor units)');
    expect(() => parseMessage({ request_id: 'r1', type: 'points_redeem', card: PAN, amount: 0, ...at }, schemaOf)).toThrow('amount must be an integer greater than 0 (points)');
    expect(() => parseMessage({ request_id: 'r1', type: 'purchase', amount: 1, ...at }, schemaOf)).toThrow('card is required for this type');
  });
});

describe('the registry declares the schemas of message.ts', () => {
  it('every handler validates with REQUESTS[type], and every type of REQUESTS has a handler', () => {
    for (const [type, h] of HANDLERS) expect(h.schema).toBe(REQUESTS[type as keyof typeof REQUESTS]);
    expect([...HANDLERS.keys()].sort()).toEqual(Object.keys(REQUESTS).sort());
  });
});

describe('the message type is derived from the schemas (checked by npm run typecheck)', () => {
  it('a field the type requires is non-null, one it accepts nullable, one it does not define null', () => {
    expectTypeOf<MessageOf<'purchase'>['card']>().toEqualTypeOf<string>();
    expectTypeOf<MessageOf<'purchase'>['amount']>().toEqualTypeOf<number>();
    expectTypeOf<MessageOf<'purchase'>['currency']>().toEqualTypeOf<string | null>();
    expectTypeOf<MessageOf<'purchase'>['game']>().toEqualTypeOf<null>();
    expectTypeOf<MessageOf<'capture'>['card']>().toEqualTypeOf<null>();
    expectTypeOf<MessageOf<'capture'>['amount']>().toEqualTypeOf<number | null>();
    expectTypeOf<MessageOf<'capture'>['originalRequestId']>().toEqualTypeOf<string>();
    expectTypeOf<MessageOf<'lottery'>['game']>().toEqualTypeOf<string>();
    expectTypeOf<MessageOf<'void'>['currency']>().toEqualTypeOf<null>();
    expectTypeOf<Message['type']>().toEqualTypeOf<keyof typeof REQUESTS>();
    // Narrowing on `type` gives that type's fields.
    const m = parseMessage({ request_id: 'r1', type: 'points_exchange', card: PAN, amount: 5, ...at, to_scheme: 'B' }, schemaOf);
    if (m.type !== 'points_exchange') throw new Error('expected a points_exchange');
    expectTypeOf(m.toScheme).toEqualTypeOf<string>();
    expect(m.toScheme).toBe('B');
  });
});

describe('duplicateKey', () => {
  const table: [string, string | null][] = [
    ['{"a":1,"b":2}', null],
    ['{"a":1,"a":2}', 'a'],
    ['{"a":"x","b":{"a":1}}', null],
    ['{"a":{"b":1,"b":2}}', 'b'],
    ['{"a":[{"x":1},{"x":2}]}', null],
    ['{"a":[{"x":1,"x":2}]}', 'x'],
    ['{"v":"\\"a\\":1","a":1}', null],
    ['{"a\\\\":1,"a":2}', null],
    ['{"\\u0061":1,"a":2}', 'a'],
    ['{"a":"{\\"b\\":1,\\"b\\":2}"}', null],
    ['{ "a" : [ ] , "b" : { } , "a" : null }', 'a'],
    ['[{"a":1},{"a":1}]', null],
    ['"plain"', null],
  ];
  it.each(table)('%s → %s', (json, dup) => {
    JSON.parse(json); // only valid JSON reaches the scanner
    expect(duplicateKey(json)).toBe(dup);
  });
});

describe('messageHash', () => {
  const key = crypto.randomBytes(32);
  const m = parseMessage({ request_id: 'r1', type: 'purchase', card: PAN, amount: 100, ...at }, schemaOf);

  it('includes the currency: the same message with a currency is another body (409)', () => {
    const withCny = parseMessage({ request_id: 'r1', type: 'purchase', card: PAN, amount: 100, ...at, currency: 'CNY' }, schemaOf);
    const withUsd = parseMessage({ request_id: 'r1', type: 'purchase', card: PAN, amount: 100, ...at, currency: 'USD' }, schemaOf);
    expect(messageHash(key, withCny).equals(messageHash(key, m))).toBe(false);
    expect(messageHash(key, withCny).equals(messageHash(key, withUsd))).toBe(false);
  });

  it('hashes a message without currency as before the field existed (requests stored before the upgrade still replay)', () => {
    const before = crypto.createHmac('sha256', key).update(JSON.stringify([m.requestId, m.type, m.card, m.amount, m.merchant, m.terminal, m.originalRequestId, m.partial, m.pin, m.scheme, m.toScheme, m.game])).digest();
    expect(messageHash(key, m).equals(before)).toBe(true);
  });
});
