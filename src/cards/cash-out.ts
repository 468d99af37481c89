import type { Context } from '../context.js';
import { withTransaction } from '../db/tx.js';
import { InputError } from '../errors.js';
import { postEntries } from '../ledger/post.js';
import { balancedEntry } from '../ledger/entry.js';
import { cashOut } from '../ledger/flows/index.js';
import { openBusinessDate } from '../ledger/business-date.js';
import { lockCard, lockCardAccounts, recordStatusChange, resolveCardId, type CardRef } from './card-ref.js';

export interface CashOut {
  card_id: number;
  amount: number;
  currency: string;
  entry_id: number | null;
  status: 'closed';
}

/**
 * Cash-out of a named (registered) card's whole stored value (design §4: card value −b; issuer
 * +b, the issuer pays the cardholder), then closes the card. Refused for anonymous cards, closed
 * cards, a card with an open pre-authorization hold, and a card still holding points (redeem or
 * transfer them first: points have no cash value to the cardholder).
 */
export async function cashOutCard(ctx: Context, ref: CardRef): Promise<CashOut> {
  return withTransaction(ctx.db.pg, async (client) => {
    const card = await lockCard(client, await resolveCardId(client, ctx.keys, ref));
    if (!card.program.named) throw new InputError('anonymous_card', 'cash-out is only for named (registered) cards', 'card');
    if (card.status === 'closed') throw new InputError('invalid_status', 'the card is already closed', 'status');
    const accounts = await lockCardAccounts(client, card.id);
    if (accounts.some((a) => a.held > 0)) throw new InputError('open_holds', 'the card has an open pre-authorization hold; capture or release it first', 'card');
    const points = accounts.filter((a) => a.asset !== card.program.currency && a.balance > 0);
    if (points.length > 0) {
      throw new InputError('points_remaining', `the card still holds points (${points.map((a) => `${a.balance} ${a.asset}`).join(', ')}); redeem or transfer them first`, 'card');
    }
    const b = accounts.find((a) => a.asset === card.program.currency)?.balance ?? 0;
    const now = ctx.clock.now();
    let entryId: number | null = null;
    if (b > 0) {
      const date = await openBusinessDate(client, now, ctx.calendar);
      [entryId] = await postEntries(client, date, [balancedEntry('cash_out', cashOut({ cardId: card.id, issuerId: card.program.issuer_id, currency: card.program.currency, amount: b }),
        { occurredAt: now, memo: { card_id: card.id } })]) as [number];
    }
    await client.query(`update cards set status = 'closed' where id = $1`, [card.id]);
    await recordStatusChange(client, card.id, 'cash_out', card.status, 'closed', now, { amount: b });
    return { card_id: card.id, amount: b, currency: card.program.currency, entry_id: entryId, status: 'closed' };
  });
}
