import pino, { type Logger } from 'pino';
import type { LogLevel } from './config.js';
import { scrubPans } from './cards/luhn.js';

export type { Logger };

/** Fields that may hold card data or secrets anywhere in a log object. */
const REDACT = ['card', 'pan', 'pin', 'secret', '*.card', '*.pan', '*.pin', '*.secret', 'req.headers["x-signature"]'];

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubPans(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return { type: value.name, message: scrubPans(value.message), stack: value.stack ? scrubPans(value.stack) : undefined, code: (value as { code?: unknown }).code };
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrub(v, depth + 1);
  return out;
}

/**
 * The one root logger (house style §11): JSON to stderr, card fields redacted, and every
 * Luhn-valid digit run in any string masked before it is written.
 */
export function createLogger(level: LogLevel, destination: pino.DestinationStream = pino.destination(2)): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT, censor: '[redacted]' },
      formatters: { log: (obj) => scrub(obj) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? scrubPans(a) : a)) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}
