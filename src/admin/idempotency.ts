import type { Context } from '../context.js';
import { conflict } from './problem.js';

type Answer = { status: number; body: unknown };

/** A claim older than this is taken to be a crashed process's and may be taken over. */
const STALE_MS = 60_000;

/**
 * Runs a money- or stock-moving POST once per (operator, Idempotency-Key): the same key and body
 * get the first answer again, another body 409, and a repeat while the first is still running 409
 * too (try again). The key is claimed by inserting its row before the work (status 0), so daemons
 * serialize on it without holding a connection through the work. Only successes are kept: a
 * refused request releases its claim and may be retried with the same key.
 */
export async function withIdempotency(ctx: Context, operatorId: number, key: string, route: string, bodyHash: Buffer, run: () => Promise<Answer>): Promise<Answer> {
  const db = ctx.db.pg;
  const now = ctx.clock.now();
  const claimed = await db.query(
    `insert into admin_idempotency (operator_id, key, route, body_hash, status, response, created_at) values ($1, $2, $3, $4, 0, 'null', $5)
     on conflict (operator_id, key) do nothing`, [operatorId, key, route, bodyHash, now]);
  if (claimed.rowCount === 0) {
    const { rows } = await db.query<{ body_hash: Buffer; status: number; response: unknown; route: string; created_at: Date }>(
      'select body_hash, status, response, route, created_at from admin_idempotency where operator_id = $1 and key = $2', [operatorId, key]);
    const seen = rows[0];
    if (!seen || seen.route !== route || !seen.body_hash.equals(bodyHash)) throw conflict('Idempotency-Key was used with another request', 'Idempotency-Key');
    if (seen.status !== 0) return { status: seen.status, body: seen.response };
    const stale = now.getTime() - seen.created_at.getTime() > STALE_MS
      && (await db.query('update admin_idempotency set created_at = $3 where operator_id = $1 and key = $2 and status = 0 and created_at = $4',
        [operatorId, key, now, seen.created_at])).rowCount === 1;
    if (!stale) throw conflict('a request with this Idempotency-Key is still in progress; try again', 'Idempotency-Key');
  }
  let answer: Answer;
  try {
    answer = await run();
  } catch (err) {
    await db.query('delete from admin_idempotency where operator_id = $1 and key = $2 and status = 0', [operatorId, key]).catch(() => undefined);
    throw err;
  }
  await db.query('update admin_idempotency set status = $3, response = $4 where operator_id = $1 and key = $2',
    [operatorId, key, answer.status, JSON.stringify(answer.body)]);
  return answer;
}
