import type { Context } from '../context.js';
import { withTransaction } from '../db/tx.js';
import { InputError } from '../errors.js';
import { lockCard, resolveCardId, type CardRef } from './card-ref.js';
import { pinHmac } from './vault.js';

/**
 * Sets (or resets) a card's PIN: stores only the keyed HMAC of (card id, PIN) — the key lives
 * outside the database (design §5) — and clears the try counter, so a card locked out with 75
 * works again. The PIN is 4–6 digits; a closed card is refused. Never logs or returns the PIN.
 */
export async function setPin(ctx: Context, ref: CardRef, pin: unknown): Promise<{ card_id: number; pin_tries: number }> {
  if (typeof pin !== 'string' || !/^[0-9]{4,6}$/.test(pin)) throw new InputError('invalid_pin', 'pin must be 4 to 6 digits', 'pin');
  const id = await resolveCardId(ctx.db.pg, ctx.keys, ref);
  return withTransaction(ctx.db.pg, async (client) => {
    const card = await lockCard(client, id);
    if (card.status === 'closed') throw new InputError('card_closed', `card ${id} is closed`, 'card');
    await client.query('update cards set pin_hmac = $2, pin_tries = 0 where id = $1', [id, pinHmac(ctx.keys, id, pin)]);
    ctx.logger.info({ card_id: id }, 'card PIN set');
    return { card_id: id, pin_tries: 0 };
  });
}
