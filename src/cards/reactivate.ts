import type { Context } from '../context.js';
import { withTransaction } from '../db/tx.js';
import { InputError } from '../errors.js';
import { openBusinessDate } from '../ledger/business-date.js';
import { businessDateOf, localDate } from '../ledger/calendar.js';
import { restoreDerecognised } from '../settlement/breakage-remote.js';
import { cardExpiry } from './cards.js';
import { lockCard, recordStatusChange, resolveCardId, type CardRef } from './card-ref.js';

export interface Reactivation {
  card_id: number;
  from_status: string;
  to_status: string;
  old_expiry: string;
  new_expiry: string;
  /** Value brought back from breakage or escheat (0 when the card was still within its grace period). */
  restored: number;
  currency: string;
  entry_ids: number[];
}

/**
 * Reactivates (extends) an expired card: a new expiry from the program's validity counted from
 * today, status back to active (issued if it was never activated), and, if remote breakage or
 * escheat took its value, a `breakage_reversal` restoring exactly that value — so a later
 * breakage run finds a valid card and derecognises nothing. Refused for cards that have not
 * expired, named cards (no expiry), lost cards (replace them) and closed cards.
 */
export async function reactivateCard(ctx: Context, ref: CardRef): Promise<Reactivation> {
  return withTransaction(ctx.db.pg, async (client) => {
    const card = await lockCard(client, await resolveCardId(client, ctx.keys, ref));
    const now = ctx.clock.now();
    const today = businessDateOf(now, ctx.calendar);
    if (card.expiry_date === null || card.program.validity_months === null) {
      throw new InputError('no_expiry', 'the card never expires (named card): nothing to reactivate', 'card');
    }
    if (card.status === 'closed' || card.status === 'lost') {
      throw new InputError('invalid_status', `cannot reactivate a card that is ${card.status}${card.status === 'lost' ? ' (replace it)' : ''}`, 'status');
    }
    if (card.expiry_date >= today) throw new InputError('not_expired', `the card is valid until ${card.expiry_date}`, 'card');

    const date = await openBusinessDate(client, now, ctx.calendar);
    const { restored, entryIds } = await restoreDerecognised(client, card.id, date, now);
    const newExpiry = cardExpiry(localDate(now, ctx.calendar.timezone), card.program.validity_months)!;
    const toStatus = card.status === 'expired' ? (card.activated_at ? 'active' : 'issued') : card.status;
    await client.query('update cards set status = $2, expiry_date = $3 where id = $1', [card.id, toStatus, newExpiry]);
    await recordStatusChange(client, card.id, 'reactivate', card.status, toStatus, now,
      { old_expiry: card.expiry_date, new_expiry: newExpiry, restored });
    return {
      card_id: card.id, from_status: card.status, to_status: toStatus, old_expiry: card.expiry_date, new_expiry: newExpiry,
      restored, currency: card.program.currency, entry_ids: entryIds,
    };
  });
}
