import pg from 'pg';

/**
 * Several statements of a batch in ONE round trip (design §7: one database round trip per batch
 * step). node-pg sends every parameterized query on its own and waits for its answer, so
 * `begin` + claim + card locks, or the writes + `commit`, would each cost a round trip: on a
 * loaded 2-core machine every round trip is two context switches that wait in the run queue.
 * Instead the statements are PREPAREd once per connection (SQL-level prepared statements: the plan
 * is still cached) and run as `EXECUTE name(args…); …` in one simple-protocol message. Arguments
 * are string constants holding the text node-pg's parameter serialization makes (prepareValue; its
 * array literals rebuilt here without its copying), so they reach the server exactly as bound
 * parameters would.
 */

/** The SQL-level prepared statements of the fused path: name → SQL text (parameters typed by casts). */
export type Statements = Readonly<Record<string, string>>;

/**
 * What a connection has PREPAREd, and when to plan again. A generic plan is made at the first
 * EXECUTE and kept for the connection's life, with the table sizes of that moment: made while
 * `transactions` (or `entries`) was still nearly empty — a fresh database, a daemon started right
 * after set-up — it joins them by a sequential scan (the cheapest plan for one page) and keeps
 * scanning the whole table at every batch as it grows (the authorization bench: 37 million
 * transactions rows read by 4,245 scans in two minutes, most of PostgreSQL's CPU). So the
 * statements are prepared again after 16, 32, 64… batches on the connection (each interval twice
 * the last, a few hundred µs of planning each time): the plan follows the tables' growth
 * early on and costs nothing later.
 */
interface PreparedState { names: Set<string>; batches: number; replanAt: number }

const FIRST_REPLAN = 16;
const prepared = new WeakMap<pg.ClientBase, PreparedState>();

/**
 * PREPAREs, on this connection, those of `statements` it does not have yet (one round trip, once
 * per connection), and all of them again when their plans are due for a re-plan (PreparedState).
 * Called once per batch.
 */
export async function ensurePrepared(client: pg.ClientBase, statements: Statements): Promise<void> {
  let state = prepared.get(client);
  if (!state) prepared.set(client, (state = { names: new Set(), batches: 0, replanAt: FIRST_REPLAN }));
  state.batches++;
  const replan = state.batches >= state.replanAt;
  const missing = Object.keys(statements).filter((n) => replan || !state.names.has(n));
  if (missing.length === 0) return;
  const sql = missing.map((n) => `${state.names.has(n) ? `deallocate ${pg.escapeIdentifier(n)}; ` : ''}prepare ${pg.escapeIdentifier(n)} as ${statements[n]}`);
  await client.query(sql.join(';\n'));
  for (const n of missing) state.names.add(n);
  if (replan) state.replanAt *= 2;
}

/** Forgets what was prepared on a connection (after an error that may have left it unknown). */
export function forgetPrepared(client: pg.ClientBase): void {
  prepared.delete(client);
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
