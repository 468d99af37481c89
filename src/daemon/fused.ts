import pg from 'pg';

/**
 * Several statements of a batch in ONE round trip (design §7: at most two database round trips
 * per batch). node-pg sends every parameterized query on its own and waits for its answer, so
 * BEGIN + prefetch, or the writes + COMMIT, would each cost several round trips: on a loaded
 * 2-core machine every round trip is two context switches that wait in the run queue. Instead the
 * statements are PREPAREd once per connection (SQL-level prepared statements: the plan is cached)
 * and run as `EXECUTE name(args…); …` in one simple-protocol message. Arguments are string
 * constants holding the text node-pg's parameter serialization makes (prepareValue; its array
 * literals rebuilt here without its copying), so they reach the server exactly as bound parameters
 * would. In a message, a statement that fails stops the rest: nothing after it, COMMIT included, runs.
 */

/** SQL-level prepared statements: name → SQL text (parameters typed by casts). */
export type Statements = Readonly<Record<string, string>>;

const prepared = new WeakMap<pg.ClientBase, Set<string>>();

/**
 * PREPAREs, on this connection, those of `statements` it does not have yet (one round trip, once
 * per connection). The batch runs them with generic plans and sequential scans off (batch.ts), so
 * a plan made while a table was nearly empty stays an index plan as the table grows.
 */
export async function ensurePrepared(client: pg.ClientBase, statements: Statements): Promise<void> {
  let names = prepared.get(client);
  if (!names) prepared.set(client, (names = new Set()));
  const missing = Object.keys(statements).filter((n) => !names.has(n));
  if (missing.length === 0) return;
  await client.query(missing.map((n) => `prepare ${pg.escapeIdentifier(n)} as ${statements[n]}`).join(';\n'));
  for (const n of missing) names.add(n);
}

/** A literal for one parameter value, serialized as node-pg serializes a bound parameter. */
export function literal(value: unknown): string {
  const text = Array.isArray(value) ? arrayLiteral(value) : prepareValue(value);
  if (text === null || text === undefined) return 'null';
  if (Buffer.isBuffer(text)) return `'\\x${text.toString('hex')}'`;
  return quoted(String(text));
}

const TAG = '$purse$';

/**
 * `text` as a string constant, dollar-quoted: nothing inside is escaped, so nothing is copied but
 * the result (pg.escapeLiteral appends one character at a time, a string object each, which on a
 * batch's array arguments, kilobytes of text, was over half of what the daemon allocated per
 * purchase). Text holding the tag itself is quoted by pg.escapeLiteral.
 */
function quoted(text: string): string {
  return text.includes(TAG) ? pg.escapeLiteral(text) : `${TAG}${text}${TAG}`;
}

const BACKSLASH_OR_DOUBLE_QUOTE = /["\\]/;
const BACKSLASHES_AND_DOUBLE_QUOTES = /["\\]/g;

/**
 * An array as the array literal node-pg's prepareValue makes of it (every element double-quoted,
 * with its backslashes and double quotes escaped; NULL; nested arrays; binary as \\x hex), built
 * from one string per element: node-pg appends to one growing string, element by element.
 */
export function arrayLiteral(values: readonly unknown[]): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) parts[i] = 'NULL';
    else if (Array.isArray(v)) parts[i] = arrayLiteral(v);
    else if (ArrayBuffer.isView(v)) parts[i] = `\\\\x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
    else {
      const text = String(prepareValue(v));
      parts[i] = BACKSLASH_OR_DOUBLE_QUOTE.test(text) ? `"${text.replace(BACKSLASHES_AND_DOUBLE_QUOTES, '\\$&')}"` : `"${text}"`;
    }
  }
  return `{${parts.join(',')}}`;
}

// node-pg's serializer of bound parameters (arrays to array literals with their escaping, Dates
// with their offset, Buffers to \x hex inside arrays); public at runtime, absent from @types/pg.
const prepareValue = (pg as unknown as { utils: { prepareValue(v: unknown): unknown } }).utils.prepareValue;

/** `execute name(arg, …)` with literal arguments. */
export function execute(name: string, args: readonly unknown[]): string {
  return `execute ${pg.escapeIdentifier(name)}(${args.map(literal).join(', ')})`;
}

/** Runs statements as one simple-protocol message; returns each statement's rows. */
export async function runFused(client: pg.ClientBase, statements: readonly string[]): Promise<unknown[][]> {
  const res = (await client.query(statements.join(';\n'))) as unknown as pg.QueryResult | pg.QueryResult[];
  return (Array.isArray(res) ? res : [res]).map((r) => r.rows as unknown[]);
}
