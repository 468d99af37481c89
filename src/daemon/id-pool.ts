import type pg from 'pg';

/**
 * Ids of a table's identity column taken from its sequence ahead of use, so the one-round-trip
 * batch (one-trip.ts) knows its transaction rows' and entries' ids before it sends anything: the
 * rows name their entries, the entries their rows, the responses show the rows' ids. A block of
 * `block` ids costs a few milliseconds (a `nextval` each), so when fewer than half a block is left
 * the next block is taken in the background on a spare connection of `source` (the daemon's pool),
 * and batches do not wait for it. A batch that finds the pool short waits for a block on its way,
 * then, if still short, refills on its own connection: ids are handed out in the order batches
 * take them, each block above the last. Ids a stopped daemon never used are gaps, as a rolled-back
 * insert leaves.
 */
export class IdPool {
  private ids: number[] = [];
  private refilling: Promise<void> | null = null;
  private readonly query: pg.QueryConfig;

  constructor(table: 'transactions' | 'entries', private readonly source: pg.Pool, private readonly block = 512) {
    this.query = {
      name: `daemon_take_${table}_ids`,
      // The sequence is looked up once, not per id.
      text: `select nextval(s.seq) as id from (select pg_get_serial_sequence('${table}', 'id')::regclass as seq) s, generate_series(1, $1::int)`,
    };
  }

  /** `n` ids, refilling on `client` (outside any transaction) when short. */
  async take(client: pg.ClientBase, n: number): Promise<number[]> {
    if (this.ids.length < n) await this.refilling;
    if (this.ids.length < n) this.add((await client.query<{ id: number }>({ ...this.query, values: [Math.max(n, this.block)] })).rows);
    const taken = this.ids.splice(0, n);
    if (this.ids.length < this.block / 2) this.prefetch();
    return taken;
  }

  /** Ids taken but not used (their batch went another way): used next. */
  giveBack(ids: readonly number[]): void {
    this.ids.unshift(...ids);
  }

  /** Resolves when no background refill is in flight. */
  async settled(): Promise<void> {
    await this.refilling;
  }

  /** Starts the next block's refill unless one is on its way or the pool has no connection to spare (it would wait for a batch's). */
  private prefetch(): void {
    if (this.source.idleCount === 0 && this.source.totalCount >= (this.source.options.max ?? 10)) return;
    this.refilling ??= this.source.query<{ id: number }>({ ...this.query, values: [this.block] })
      .then(({ rows }) => this.add(rows))
      .catch(() => undefined) // the database is away: the next batch that finds the pool short refills (or fails) itself
      .finally(() => (this.refilling = null));
  }

  /** A block from the sequence; sorted in, as two batches' refills may arrive in either order. */
  private add(rows: readonly { id: number }[]): void {
    this.ids.push(...rows.map((r) => r.id));
    this.ids.sort((a, b) => a - b);
  }
}
