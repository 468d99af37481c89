import type { Context } from '../context.js';
import { withTransaction } from '../db/tx.js';
import { businessDateOf } from '../ledger/calendar.js';

export interface ExpiryResult { business_date: string; expired: number }

// Cards whose last valid day is before today's business date become 'expired'. Lost cards keep
// 'lost' (the more specific reason to decline) and closed cards stay closed. Nothing moves: the
// value stays on the card (PRC rules) until breakage, reactivation or replacement moves it.
// One UPDATE (its row locks are the update's own: Citus refuses a multi-shard SELECT … FOR UPDATE),
// the status before it read from the card's own row (a self-join on the card id; a card whose
// status changed meanwhile no longer matches it and waits for the next run), then the changes
// recorded from what it returned.
const EXPIRE_SQL = `
  update cards c set status = 'expired' from cards was
  where was.id = c.id and c.status = was.status and c.expiry_date < $1::date and c.status in ('issued', 'active', 'frozen')
  returning c.id, was.status as from_status`;
const RECORD_SQL = `
  insert into card_status_changes (card_id, action, from_status, to_status, occurred_at, detail)
  select id, 'expire', from_status, 'expired', $3, null from unnest($1::bigint[], $2::text[]) as x(id, from_status)`;

/**
 * The card-expiry job: marks every issued, active or frozen card whose expiry date is before
 * the current business date (from `ctx.clock` and `ctx.calendar`) as `expired`, recording each
 * change. Value stays on the card. Idempotent: a second run the same day changes nothing.
 */
export async function expireCards(ctx: Context): Promise<ExpiryResult> {
  const now = ctx.clock.now();
  const today = businessDateOf(now, ctx.calendar);
  const expired = await withTransaction(ctx.db.pg, async (client) => {
    const { rows } = await client.query<{ id: number; from_status: string }>(EXPIRE_SQL, [today]);
    if (rows.length > 0) await client.query(RECORD_SQL, [rows.map((r) => r.id), rows.map((r) => r.from_status), now]);
    return rows.length;
  });
  ctx.logger.info({ job: 'card-expiry', business_date: today, expired }, 'cards expired');
  return { business_date: today, expired };
}
