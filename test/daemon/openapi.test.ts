import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HANDLERS } from '../../src/daemon/handlers/index.js';
import type { Handler } from '../../src/daemon/handlers/types.js';
import { CODES } from '../../src/daemon/codes.js';
import { parseMessage, request, FIELDS, REQUESTS } from '../../src/daemon/message.js';
import { openApiDocument, openApiOf, requestComponent } from '../../src/daemon/openapi.js';
import { toJsonSchema } from '../../src/daemon/json-schema.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const doc = openApiDocument(HANDLERS) as Obj;
const post = doc.paths['/v1/transactions'].post as Obj;

/** The fields each type requires besides request_id and type (design §5). */
const REQUIRED: Record<string, string[]> = {
  balance: ['card', 'merchant', 'terminal'],
  activate: ['card', 'merchant', 'terminal'],
  load: ['card', 'amount', 'merchant', 'terminal'],
  purchase: ['card', 'amount', 'merchant', 'terminal'],
  preauth: ['card', 'amount', 'merchant', 'terminal'],
  capture: ['original_request_id'],
  void: ['original_request_id'],
  reversal: ['original_request_id'],
  refund: ['original_request_id', 'amount'],
  points_earn: ['card', 'amount', 'merchant', 'terminal'],
  points_redeem: ['card', 'amount', 'merchant', 'terminal'],
  points_load: ['card', 'amount', 'merchant', 'terminal'],
  points_exchange: ['card', 'amount', 'merchant', 'terminal', 'to_scheme'],
  lottery: ['card', 'merchant', 'terminal', 'game'],
};

/** Every `$ref` in a document. */
function refs(x: unknown, out: string[] = []): string[] {
  if (Array.isArray(x)) for (const v of x) refs(v, out);
  else if (x && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) {
      if (k === '$ref') out.push(v as string);
      else refs(v, out);
    }
  }
  return out;
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 whose references all resolve', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    for (const r of refs(doc)) {
      const [hash, components, schemas, name] = r.split('/');
      expect([hash, components, schemas]).toEqual(['#', 'components', 'schemas']);
      expect(doc.components.schemas[name!], r).toBeDefined();
    }
  });

  it('has one request schema per type, chosen by the type discriminator', () => {
    const types = Object.keys(REQUIRED);
    expect([...HANDLERS.keys()].sort()).toEqual([...types].sort());
    const body = post.requestBody.content['application/json'].schema as Obj;
    expect(body.oneOf).toHaveLength(types.length);
    expect(body.discriminator.propertyName).toBe('type');
    for (const type of types) {
      const ref = `#/components/schemas/${requestComponent(type)}`;
      expect(body.oneOf).toContainEqual({ $ref: ref });
      expect(body.discriminator.mapping[type]).toBe(ref);
    }
  });

  it('each request schema: its type constant, its required fields, no unknown field allowed', () => {
    for (const [type, required] of Object.entries(REQUIRED)) {
      const s = doc.components.schemas[requestComponent(type)] as Obj;
      expect(s.type).toBe('object');
      expect(s.additionalProperties).toBe(false);
      expect(s.properties.type).toMatchObject({ type: 'string', const: type });
      expect([...s.required].sort()).toEqual(['request_id', 'type', ...required].sort());
      for (const field of s.required) expect(s.properties[field], `${type}.${field}`).toBeDefined();
    }
  });

  it('documents formats: card 13–19 digits, amount an integer > 0, currency three capitals and optional (null allowed)', () => {
    const purchase = doc.components.schemas.PurchaseRequest.properties as Obj;
    expect(purchase.card).toMatchObject({ type: 'string', pattern: '^[0-9]{13,19}$' });
    expect(purchase.amount).toMatchObject({ type: 'integer', exclusiveMinimum: 0, maximum: Number.MAX_SAFE_INTEGER });
    expect(purchase.currency).toMatchObject({ type: ['string', 'null'], pattern: '^[A-Z]{3}$', description: expect.stringContaining('ISO 4217') });
    expect(purchase.partial).toMatchObject({ type: ['boolean', 'null'] });
    expect(doc.components.schemas.VoidRequest.properties.currency).toBeUndefined();
  });

  it('names the signing headers, the security scheme and the answers 200/400/401/409/503', () => {
    const names = (post.parameters as Obj[]).map((p) => [p.name, p.in, p.required]);
    expect(names).toEqual([['X-Channel-Id', 'header', true], ['X-Timestamp', 'header', true], ['X-Signature', 'header', true]]);
    expect((post.parameters as Obj[])[2]!.description).toContain('HMAC-SHA256');
    expect(post.security).toEqual([{ channelSignature: [] }]);
    expect(doc.components.securitySchemes.channelSignature).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Signature' });
    expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '409', '503']));
    expect(post.responses['503'].headers['Retry-After']).toBeDefined();
    expect(post.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/TransactionResponse' });
  });

  it('carries the DE39 table of codes.ts', () => {
    const rc = doc.components.schemas.ResponseCode as Obj;
    expect(rc.oneOf).toEqual(Object.entries(CODES).map(([code, meaning]) => ({ const: code, description: meaning })));
    for (const [code, meaning] of Object.entries(CODES)) expect(rc.description).toContain(`| \`${code}\` | ${meaning} |`);
  });
});

describe('one source: the document is generated from the schemas that validate', () => {
  it('each component is the JSON Schema of the handler schema parseMessage uses', () => {
    for (const [type, h] of HANDLERS) {
      expect(h.schema).toBe(REQUESTS[type as keyof typeof REQUESTS]);
      expect(doc.components.schemas[requestComponent(type)]).toEqual({ title: `${type} request`, ...toJsonSchema(h.schema) });
    }
    expect(openApiOf(HANDLERS)).toBe(openApiOf(HANDLERS));
  });

  it('a field added to a type schema is both accepted by the parser and documented, from the one object', () => {
    const withTip: Handler = { ...HANDLERS.get('purchase')!, schema: request('purchase', { ...REQUESTS.purchase.omit({ request_id: true, type: true }).shape, tip: FIELDS.amount }) };
    const handlers = new Map([...HANDLERS, ['purchase', withTip]]);
    const body = { request_id: 'r1', type: 'purchase', card: '6220001234567898', amount: 1, merchant: 'M1', terminal: 'T1', tip: 5 };
    expect(() => parseMessage(body, (t) => HANDLERS.get(t)?.schema)).toThrow('unknown field "tip"');
    expect(parseMessage(body, (t) => handlers.get(t)?.schema)).toMatchObject({ requestId: 'r1', amount: 1 });
    const generated = openApiDocument(handlers) as Obj;
    expect(generated.components.schemas.PurchaseRequest.properties.tip).toMatchObject({ type: 'integer' });
    expect(generated.components.schemas.PurchaseRequest.required).toContain('tip');
  });

  it('a zod feature the converter cannot show fails loudly instead of being documented wrongly', () => {
    expect(() => toJsonSchema(z.object({ list: z.array(z.string()) }))).toThrow(/not supported/);
    expect(() => toJsonSchema(z.string().email())).toThrow(/not supported/);
  });

  it('patterns in the document accept and refuse what the parser does', () => {
    const props = doc.components.schemas.PurchaseRequest.properties as Obj;
    const samples: Record<string, [unknown, boolean][]> = {
      card: [['6220001234567898', true], ['622000123456', false], ['6220-0012-3456-7890', false]],
      currency: [['CNY', true], ['usd', false], ['US', false]],
      merchant: [['M 1/ü', true], ['', false], ['a\nb', false]],
      request_id: [['a-b_c.d:e', true], ['a b', false], ['x'.repeat(65), false]],
    };
    for (const [field, cases] of Object.entries(samples)) {
      const re = new RegExp(props[field].pattern as string, 'u');
      for (const [value, ok] of cases) {
        expect(re.test(value as string), `${field} ${String(value)}`).toBe(ok);
        expect((REQUESTS.purchase.shape as Obj)[field].safeParse(value).success, `${field} ${String(value)}`).toBe(ok);
      }
    }
  });
});
