import { describe, expect, it } from 'vitest';
import type pg from 'pg';
import { testContext } from '../helpers/db.js';
import { IdPool } from '../../src/daemon/id-pool.js';
import { openDb } from '../../src/db/pool.js';

const ctx = await testContext();

/** A batch connection of the pool that counts the queries sent on it. */
async function countingClient(): Promise<{ client: pg.ClientBase; queries: () => number; release: () => void }> {
  const real = await ctx.db.pg.connect();
  let n = 0;
  const client = { query: (...args: Parameters<pg.ClientBase['query']>) => (n++, real.query(...args)) } as unknown as pg.ClientBase;
  return { client, queries: () => n, release: () => real.release() };
}

describe('IdPool', () => {
  it('takes the next block in the background below half a block, so batches do not wait for it', async () => {
    const pool = new IdPool('transactions', ctx.db.pg, 8);
    const { client, queries, release } = await countingClient();
    try {
      const first = await pool.take(client, 5); // empty: refilled on the batch's connection, 3 left
      expect(queries()).toBe(1);
      await pool.settled(); // below half a block: the next block came from the pool's own connection
      const rest = await pool.take(client, 10);
      expect(queries()).toBe(1);
      const all = [...first, ...rest];
      expect(new Set(all).size).toBe(15);
      expect(all).toEqual([...all].sort((a, b) => a - b));
    } finally {
      release();
    }
  });

  it('a batch that finds the pool short waits for the block on its way: ids go out in the order batches take them', async () => {
    const pool = new IdPool('entries', ctx.db.pg, 4);
    const { client, queries, release } = await countingClient();
    try {
      const a = await pool.take(client, 3); // refilled here (4 ids); 1 left, so the next block is on its way
      const b = await pool.take(client, 5); // short: waits for that block (5 ids then), no refill of its own
      expect(queries()).toBe(1);
      const c = await pool.take(client, 6); // short: waits for the next block (4 ids), still short: refills here
      expect(queries()).toBe(2);
      const handedOut = [...a, ...b, ...c];
      expect(new Set(handedOut).size).toBe(14);
      expect(handedOut).toEqual([...handedOut].sort((x, y) => x - y));
      await pool.settled();
      pool.giveBack(c.slice(4)); // its batch went another way
      expect(await pool.take(client, 2)).toEqual(c.slice(4));
    } finally {
      release();
    }
  });

  it('takes no block in the background when the pool has no connection to spare (it would wait on the batch\'s own)', async () => {
    const db = await openDb(ctx.url, { poolSize: 1 });
    const single = db.pg;
    const client = await single.connect();
    try {
      const pool = new IdPool('transactions', single, 4);
      const first = await pool.take(client, 3);
      const second = await pool.take(client, 3); // short, nothing on its way: refills on the batch's connection
      expect(second[0]).toBeGreaterThan(first[2]!);
    } finally {
      client.release();
      await db.close();
    }
  });
});
