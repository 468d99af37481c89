import crypto from 'node:crypto';
import type { Context } from '../context.js';
import { mapDbError } from '../db/errors.js';
import { conflict } from './problem.js';

type Answer = { status: number; body: unknown };

/**
 * Runs a money- or stock-moving POST once per (operator, Idempotency-Key): the same key and body
 * get the first answer again (also while the first is still running: the key is held under a
 * session advisory lock, so daemons serialize on it), another body 409. Only successes are kept:
 * a refused request may be retried with the same key.
 */
export async function withIdempotency(ctx: Context, operatorId: number, key: string, route: string, bodyHash: Buffer, run: () => Promise<Answer>): Promise<Answer> {
  const lockKey = crypto.createHash('sha256').update(`${operatorId}\u0000${key}`).digest().readBigInt64BE(0);
  const client = await ctx.db.pg.connect().catch((err: unknown) => { throw mapDbError(err); });
  try {
    await client.query('select pg_advisory_lock($1)', [lockKey.toString()]);
    try {
      const { rows } = await client.query<{ body_hash: Buffer; status: number; response: unknown; route: string }>(
        'select body_hash, status, response, route from admin_idempotency where operator_id = $1 and key = $2', [operatorId, key]);
      const seen = rows[0];
      if (seen) {
        if (seen.route !== route || !seen.body_hash.equals(bodyHash)) throw conflict('Idempotency-Key was used with another request', 'Idempotency-Key');
        return { status: seen.status, body: seen.response };
      }
      const answer = await run();
      await client.query(
        'insert into admin_idempotency (operator_id, key, route, body_hash, status, response, created_at) values ($1, $2, $3, $4, $5, $6, $7)',
        [operatorId, key, route, bodyHash, answer.status, JSON.stringify(answer.body), ctx.clock.now()]);
      return answer;
    } finally {
      await client.query('select pg_advisory_unlock($1)', [lockKey.toString()]);
    }
  } finally {
    client.release();
  }
}
