import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';
import type { LogLevel } from './config.js';
import { scrubPans } from './cards/luhn.js';

export type { Logger };

/** Fields that may hold card data or secrets (pino's fast paths; `scrub` covers any depth). */
const REDACT = ['card', 'pan', 'pin', 'secret', '*.card', '*.pan', '*.pin', '*.secret', 'req.headers["x-signature"]'];

/** Field names whose values are never logged, at any depth (compared in lower case). */
const SENSITIVE = new Set(['card', 'pan', 'pin', 'secret', 'password', 'x-signature', 'authorization']);

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubPans(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 6) return '[too deep]';
  if (value instanceof Error) {
    return { type: value.name, message: scrubPans(value.message), stack: value.stack ? scrubPans(value.stack) : undefined, code: (value as { code?: unknown }).code };
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SENSITIVE.has(k.toLowerCase()) ? '[redacted]' : scrub(v, depth + 1);
  return out;
}

/**
 * pino serializes a child's bindings once, when the child is made, without the log formatter;
 * clean that serialized text the same way (once per child, not per line).
 */
function scrubBindings(child: Logger): void {
  const holder = child as unknown as Record<symbol, string>;
  const raw = holder[pino.symbols.chindingsSym] ?? '';
  if (!raw) return;
  const clean = JSON.stringify(scrub(JSON.parse(`{${raw.slice(1)}}`)));
  holder[pino.symbols.chindingsSym] = clean === '{}' ? '' : `,${clean.slice(1, -1)}`;
}

/**
 * Where logs go by default: stderr, as JSON lines, or (when stderr is a terminal) as readable
 * lines through pino-pretty (written synchronously, so a CLI command's last lines are not lost).
 * The redaction and PAN masking below apply before either.
 */
function stderrDestination(): pino.DestinationStream {
  if (!process.stderr.isTTY) return pino.destination(2);
  // Loaded only for a terminal: a piped or scripted CLI run (a bulk load beside the daemon) does not
  // spend the 15–20 ms of CPU its modules take to load.
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  return pretty({ destination: 2, sync: true, colorize: true, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l o', ignore: 'pid,hostname' });
}

/**
 * The one root logger (house style §11): JSON to stderr (readable lines on a terminal),
 * card/PIN/secret fields redacted at any depth (also in child() bindings), and every Luhn-valid
 * 13–19 digit run in any string, message or error masked (first 6 + last 4) before it is written.
 */
export function createLogger(level: LogLevel, destination: pino.DestinationStream = stderrDestination()): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT, censor: '[redacted]' },
      formatters: { log: (obj) => scrub(obj) as Record<string, unknown> },
      onChild: scrubBindings,
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? scrubPans(a) : a)) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

const LEVEL_METHODS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace']);
const noop = () => undefined;

/**
 * `parent.child(bindings)`, made only when something is actually logged through it. A child costs
 * a serialization and scrub of its bindings (scrubBindings); the authorization path makes one per
 * request but, at the default `info` level, logs nothing for a normal answer (its `debug` line is
 * off). Calls of a disabled level are no-ops that never build the child.
 */
export function lazyChild(parent: Logger, bindings: Record<string, unknown>): Logger {
  let child: Logger | undefined;
  const real = () => (child ??= parent.child(bindings));
  return new Proxy({} as Logger, {
    get(_target, prop) {
      if (typeof prop === 'string' && LEVEL_METHODS.has(prop) && !parent.isLevelEnabled(prop)) return noop;
      const c = real();
      const v = Reflect.get(c, prop, c) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(c) : v;
    },
  });
}
