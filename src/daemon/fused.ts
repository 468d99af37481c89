import pg from 'pg';

/**
 * Several statements of a batch in ONE round trip (design §7: one database round trip per batch
 * step). node-pg sends every parameterized query on its own and waits for its answer, so
 * `begin` + claim + card locks, or the writes + `commit`, would each cost a round trip: on a
 * loaded 2-core machine every round trip is two context switches that wait in the run queue.
 * Instead the statements are PREPAREd once per connection (SQL-level prepared statements: the plan
 * is still cached) and run as `EXECUTE name(args…); …` in one simple-protocol message. Arguments
 * are literals made by node-pg's own parameter serialization (prepareValue) and escapeLiteral, so
 * they reach the server exactly as bound parameters would.
 */

/** The SQL-level prepared statements of the fused path: name → SQL text (parameters typed by casts). */
export type Statements = Readonly<Record<string, string>>;

const prepared = new WeakMap<pg.ClientBase, Set<string>>();

/** PREPAREs, on this connection, those of `statements` it does not have yet (one round trip, once per connection). */
export async function ensurePrepared(client: pg.ClientBase, statements: Statements): Promise<void> {
  let have = prepared.get(client);
  if (!have) prepared.set(client, (have = new Set()));
  const missing = Object.keys(statements).filter((n) => !have.has(n));
  if (missing.length === 0) return;
  await client.query(missing.map((n) => `prepare ${pg.escapeIdentifier(n)} as ${statements[n]}`).join(';\n'));
  for (const n of missing) have.add(n);
}

/** Forgets what was prepared on a connection (after an error that may have left it unknown). */
export function forgetPrepared(client: pg.ClientBase): void {
  prepared.delete(client);
}

/** A literal for one parameter value, serialized as node-pg serializes a bound parameter. */
export function literal(value: unknown): string {
  const text = prepareValue(value);
  if (text === null || text === undefined) return 'null';
  if (Buffer.isBuffer(text)) return `'\\x${text.toString('hex')}'`;
  return pg.escapeLiteral(String(text));
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
