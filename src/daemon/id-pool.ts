import type pg from 'pg';

/**
 * Ids of a table's identity column taken from its sequence ahead of use, so the one-round-trip
 * batch (one-trip.ts) knows its transaction rows' and entries' ids before it sends anything: the
 * rows name their entries, the entries their rows, the responses show the rows' ids. Refilled a
 * block at a time, one round trip per `block` ids; ids a stopped daemon never used are gaps, as a
 * rolled-back insert leaves.
 */
export class IdPool {
  private ids: number[] = [];
  private readonly query: pg.QueryConfig;

  constructor(table: 'transactions' | 'entries', private readonly block = 512) {
    this.query = {
      name: `daemon_take_${table}_ids`,
      // The sequence is looked up once, not per id.
      text: `select nextval(s.seq) as id from (select pg_get_serial_sequence('${table}', 'id')::regclass as seq) s, generate_series(1, $1::int)`,
    };
  }

  /** `n` ids, refilling on `client` (outside any transaction) when short. */
  async take(client: pg.ClientBase, n: number): Promise<number[]> {
    if (this.ids.length < n) {
      const { rows } = await client.query<{ id: number }>({ ...this.query, values: [Math.max(n, this.block)] });
      this.ids.push(...rows.map((r) => r.id));
    }
    return this.ids.splice(0, n);
  }

  /** Ids taken but not used (their batch went another way): used next. */
  giveBack(ids: readonly number[]): void {
    this.ids.unshift(...ids);
  }
}
