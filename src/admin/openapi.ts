import { z } from 'zod';
import type { Route } from './route.js';
import { PREFIX } from './router.js';

type Json = Record<string, unknown>;

/** JSON Schema of the zod shapes the API uses (objects, strings, numbers, booleans, enums, arrays, optional, nullable). */
export function jsonSchema(t: z.ZodTypeAny): Json {
  if (t instanceof z.ZodOptional || t instanceof z.ZodDefault) return jsonSchema(t._def.innerType as z.ZodTypeAny);
  if (t instanceof z.ZodNullable) return { anyOf: [jsonSchema(t.unwrap() as z.ZodTypeAny), { type: 'null' }] };
  if (t instanceof z.ZodEffects) return jsonSchema(t.innerType() as z.ZodTypeAny);
  if (t instanceof z.ZodObject) {
    const shape = t.shape as Record<string, z.ZodTypeAny>;
    return {
      type: 'object', additionalProperties: false,
      properties: Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, jsonSchema(v)])),
      required: Object.entries(shape).filter(([, v]) => !v.isOptional()).map(([k]) => k),
    };
  }
  if (t instanceof z.ZodString) {
    const regex = t._def.checks.find((c) => c.kind === 'regex') as { regex: RegExp } | undefined;
    return { type: 'string', ...(regex ? { pattern: regex.regex.source } : {}) };
  }
  if (t instanceof z.ZodNumber) return { type: t.isInt ? 'integer' : 'number' };
  if (t instanceof z.ZodBoolean) return { type: 'boolean' };
  if (t instanceof z.ZodEnum) return { type: 'string', enum: t.options as string[] };
  if (t instanceof z.ZodLiteral) return { const: t.value as unknown };
  if (t instanceof z.ZodArray) return { type: 'array', items: jsonSchema(t.element as z.ZodTypeAny) };
  return {};
}

const problem = { description: 'RFC 9457 problem', content: { 'application/problem+json': { schema: { type: 'object', properties: {
  type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, field: { type: 'string' } } } } } };

/** OpenAPI 3.1 of the management API, generated from the route table and the same zod schemas that validate requests. */
export function openApi(routes: readonly Route[]): Json {
  const paths: Record<string, Json> = {};
  for (const r of routes) {
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const query = r.query instanceof z.ZodObject
      ? Object.entries(r.query.shape as Record<string, z.ZodTypeAny>).map(([name, s]) => ({ name, in: 'query', required: !s.isOptional(), schema: jsonSchema(s) }))
      : [];
    const op: Json = {
      summary: r.summary,
      'x-roles': r.roles,
      ...(r.roles === 'public' ? { security: [] } : {}),
      parameters: [...params, ...query, ...(r.idempotent ? [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 200 } }] : [])],
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body) } } } } : {}),
      responses: {
        [String(r.status)]: { description: 'success' },
        ...(r.roles === 'public' ? {} : { 401: problem, 403: problem }),
        400: problem, 404: problem,
        ...(r.idempotent ? { 409: problem } : {}),
      },
    };
    (paths[`${PREFIX}${r.path}`] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Purse management API', version: '1' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}
