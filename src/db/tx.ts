import type pg from 'pg';
import { isRetryable, mapDbError } from './errors.js';

const MAX_ATTEMPTS = 5;

/**
 * Runs `fn` in one transaction on a pooled pg client (house style §6): commits on success, rolls
 * back on error, retries serialization failures and deadlocks up to 5 times with jittered backoff.
 */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw mapDbError(err);
    }
    let broken = false;
    try {
      await client.query('begin');
      const result = await fn(client);
      await client.query('commit');
      return result;
    } catch (err) {
      await client.query('rollback').catch(() => { broken = true; });
      if (attempt < MAX_ATTEMPTS && isRetryable(err)) {
        await sleep(Math.random() * 20 * 2 ** attempt);
        continue;
      }
      throw mapDbError(err);
    } finally {
      client.release(broken);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
