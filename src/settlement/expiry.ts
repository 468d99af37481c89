import type { Context } from '../context.js';
import { withTransaction } from '../db/tx.js';
import { businessDateOf } from '../ledger/calendar.js';

export interface ExpiryResult { business_date: string; expired: number }

// Cards whose last valid day is before today's business date become 'expired'. Lost cards keep
// 'lost' (the more specific reason to decline) and closed cards stay closed. Nothing moves: the
// value stays on the card (PRC rules) until breakage, reactivation or replacement moves it.
const EXPIRE_SQL = `
  with due as (
    select id, status from cards
    where expiry_date < $1::date and status in ('issued', 'active', 'frozen')
    for update
  ), changed as (
    update cards c set status = 'expired' from due where c.id = due.id
    returning c.id, due.status as from_status
  )
  insert into card_status_changes (card_id, action, from_status, to_status, occurred_at, detail)
  select id, 'expire', from_status, 'expired', $2, null from changed`;

/**
 * The card-expiry job: marks every issued, active or frozen card whose expiry date is before
 * the current business date (from `ctx.clock` and `ctx.calendar`) as `expired`, recording each
 * change. Value stays on the card. Idempotent: a second run the same day changes nothing.
 */
export async function expireCards(ctx: Context): Promise<ExpiryResult> {
  const now = ctx.clock.now();
  const today = businessDateOf(now, ctx.calendar);
  const expired = await withTransaction(ctx.db.pg, async (client) => (await client.query(EXPIRE_SQL, [today, now])).rowCount ?? 0);
  ctx.logger.info({ job: 'card-expiry', business_date: today, expired }, 'cards expired');
  return { business_date: today, expired };
}
