import { z } from 'zod';

/** A JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) as a plain object. */
export type JsonSchema = Record<string, unknown>;

/**
 * The JSON Schema of a request schema, for the zod features message.ts uses: strict objects,
 * strings with a pattern, integers with bounds, booleans, literals, optional and nullable
 * fields. Anything else throws, so a schema feature the document cannot show fails its test
 * instead of being documented wrongly. Descriptions are carried over.
 */
export function toJsonSchema(s: z.ZodTypeAny): JsonSchema {
  const out = convert(s);
  return s.description ? { description: s.description, ...out } : out;
}

function convert(s: z.ZodTypeAny): JsonSchema {
  if (s instanceof z.ZodObject) {
    const shape = s.shape as Record<string, z.ZodTypeAny>;
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const [key, field] of Object.entries(shape)) {
      properties[key] = toJsonSchema(field);
      if (!field.isOptional()) required.push(key);
    }
    const unknownKeys = (s._def as { unknownKeys: string }).unknownKeys;
    return { type: 'object', properties, required, additionalProperties: unknownKeys !== 'strict' };
  }
  if (s instanceof z.ZodOptional) return toJsonSchema(s.unwrap() as z.ZodTypeAny);
  if (s instanceof z.ZodNullable) {
    const inner = toJsonSchema(s.unwrap() as z.ZodTypeAny);
    return { ...inner, type: [inner.type, 'null'] };
  }
  if (s instanceof z.ZodLiteral) {
    const value: unknown = s.value;
    return { type: typeof value, const: value };
  }
  if (s instanceof z.ZodBoolean) return { type: 'boolean' };
  if (s instanceof z.ZodString) {
    const out: JsonSchema = { type: 'string' };
    for (const c of s._def.checks) {
      if (c.kind === 'regex') out.pattern = c.regex.source;
      else throw new Error(`toJsonSchema: string check ${c.kind} is not supported`);
    }
    return out;
  }
  if (s instanceof z.ZodNumber) {
    const out: JsonSchema = { type: 'number' };
    for (const c of s._def.checks) {
      if (c.kind === 'int') out.type = 'integer';
      else if (c.kind === 'min') out[c.inclusive ? 'minimum' : 'exclusiveMinimum'] = c.value;
      else if (c.kind === 'max') out[c.inclusive ? 'maximum' : 'exclusiveMaximum'] = c.value;
      else throw new Error(`toJsonSchema: number check ${c.kind} is not supported`);
    }
    return out;
  }
  throw new Error(`toJsonSchema: ${(s._def as { typeName?: string }).typeName ?? 'this zod type'} is not supported`);
}
