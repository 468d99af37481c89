import type { Handler } from './handlers/types.js';
import { CODES } from './codes.js';
import { toJsonSchema, type JsonSchema } from './json-schema.js';

/** `points_earn` → `PointsEarnRequest`: the component name of a type's request schema. */
export function requestComponent(type: string): string {
  return `${type.split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')}Request`;
}

const error = (description: string, codes: string[]) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' }, example: { error: { code: codes[0], message: description } } } },
});
const retryAfter = { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } };
const header = (name: string, description: string, schema: JsonSchema) => ({ name, in: 'header', required: true, description, schema });

const responseSchema: JsonSchema = {
  type: 'object',
  required: ['request_id', 'transaction_id', 'type', 'approved', 'response_code', 'message', 'amount_requested', 'amount_approved', 'balance'],
  properties: {
    request_id: { type: 'string' },
    transaction_id: { type: ['integer', 'null'], description: 'null only for 96 (nothing stored)' },
    type: { type: 'string' },
    approved: { type: 'boolean' },
    response_code: { $ref: '#/components/schemas/ResponseCode' },
    message: { type: 'string', description: 'the meaning of response_code' },
    amount_requested: { type: ['integer', 'null'] },
    amount_approved: { type: 'integer' },
    balance: {
      type: ['object', 'null'],
      description: "the card's balance after the message, in the program currency (minor units) and points per scheme",
      required: ['available', 'ledger', 'currency', 'points'],
      properties: {
        available: { type: 'integer' }, ledger: { type: 'integer' }, currency: { type: 'string' },
        points: { type: 'object', additionalProperties: { type: 'integer' } },
      },
    },
    detail: { type: 'object', description: 'points types: points earned, exchange rate, prize, claw-back shortfall' },
  },
};

/**
 * The OpenAPI 3.1 document of the transaction API (design §5), generated from the request
 * schemas of `handlers` — the same objects `parseMessage` validates with — plus the response
 * shape, the signing headers, the error answers and the DE39 table of codes.ts.
 */
export function openApiDocument(handlers: ReadonlyMap<string, Handler>): JsonSchema {
  const types = [...handlers.keys()];
  const schemas: Record<string, JsonSchema> = {};
  for (const [type, h] of handlers) schemas[requestComponent(type)] = { title: `${type} request`, ...toJsonSchema(h.schema) };
  const ref = (type: string) => `#/components/schemas/${requestComponent(type)}`;
  const de39 = Object.entries(CODES).map(([code, meaning]) => `| \`${code}\` | ${meaning} |`).join('\n');
  return {
    openapi: '3.1.0',
    info: {
      title: 'Purse authorization API',
      version: '1',
      description: 'Real-time prepaid and points transactions, one signed JSON message per request. Amounts are integers in minor units of the program currency (points for the points types).',
    },
    paths: {
      '/v1/transactions': {
        post: {
          operationId: 'postTransaction',
          summary: 'Process one message (idempotent per channel and request_id)',
          security: [{ channelSignature: [] }],
          parameters: [
            header('X-Channel-Id', 'the channel code', { type: 'string' }),
            header('X-Timestamp', 'Unix seconds; refused (401) when more than 300 s from the server time', { type: 'string', pattern: '^[0-9]+$' }),
            header('X-Signature', 'lowercase hex HMAC-SHA256 of `${X-Timestamp}.${raw body}` keyed with the channel secret', { type: 'string', pattern: '^[0-9a-f]{64}$' }),
          ],
          requestBody: {
            required: true,
            description: 'A field the type does not define, or a key repeated in one object, is a 400 naming it.',
            content: {
              'application/json': {
                schema: {
                  oneOf: types.map((t) => ({ $ref: ref(t) })),
                  discriminator: { propertyName: 'type', mapping: Object.fromEntries(types.map((t) => [t, ref(t)])) },
                },
              },
            },
          },
          responses: {
            200: { description: 'Processed, approved or declined (stored; an identical repeat returns the same answer)', content: { 'application/json': { schema: { $ref: '#/components/schemas/TransactionResponse' } } } },
            400: error('Unreadable message: not JSON, a missing, malformed, unknown or repeated field (nothing stored)', ['invalid_message', 'invalid_json', 'unknown_field', 'duplicate_key']),
            401: error('Unknown channel, bad signature or stale timestamp (nothing stored)', ['unauthorized']),
            409: error('request_id already used on this channel with a different body', ['request_id_reused']),
            413: error('Body above 16 KiB', ['too_large']),
            503: { ...error('Overloaded or the database is unavailable: retry later', ['unavailable', 'overloaded']), headers: retryAfter },
          },
        },
      },
    },
    components: {
      securitySchemes: {
        channelSignature: {
          type: 'apiKey', in: 'header', name: 'X-Signature',
          description: 'X-Signature = lowercase hex HMAC-SHA256(channel secret, `${X-Timestamp}.${raw body}`), sent with X-Channel-Id and X-Timestamp.',
        },
      },
      schemas: {
        ...schemas,
        TransactionResponse: responseSchema,
        ResponseCode: {
          type: 'string',
          description: `ISO 8583 DE39 response code.\n\n| code | meaning |\n|---|---|\n${de39}`,
          oneOf: Object.entries(CODES).map(([code, meaning]) => ({ const: code, description: meaning })),
        },
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { type: 'string' }, message: { type: 'string' }, field: { type: ['string', 'null'], description: 'the field, key or header at fault' } },
            },
          },
        },
      },
    },
  };
}

const documents = new WeakMap<ReadonlyMap<string, Handler>, JsonSchema>();

/** openApiDocument of a handler registry, built once per registry (GET /openapi.json serves it). */
export function openApiOf(handlers: ReadonlyMap<string, Handler>): JsonSchema {
  let doc = documents.get(handlers);
  if (!doc) documents.set(handlers, (doc = openApiDocument(handlers)));
  return doc;
}
