/** The points expiry job: expired lots leave the card only here, as points breakage (design §4). */
import type { Context } from '../context.js';
import { withTransaction } from '../db/tx.js';
import type { Entry } from '../ledger/entry.js';
import { openBusinessDate } from '../ledger/business-date.js';
import { postEntries } from '../ledger/post.js';
import { expiryEntry } from './entries.js';
import { schemeById, type SchemeRow } from './lookup.js';
import { moveLots } from './lots.js';

export interface ExpiryResult {
  asOf: string;
  /** Cards that lost expired points. */
  cards: number;
  lots: number;
  points: number;
  /** points_expiry entries posted (one per card and scheme). */
  entries: number;
}

const CARDS_PER_TRANSACTION = 500;

/**
 * Expires every lot whose expiry has passed at `asOf` (by the business clock) and still holds
 * points: per card and scheme one `points_expiry` entry (points card −p, issued +p; float −r(p×v),
 * revenue:points_breakage +r(p×v)) and the lots emptied oldest-first, with their moves. Exactly
 * once: an emptied lot is never expired again, so a re-run posts nothing. Works in ascending card
 * order, 500 cards per transaction, locking each card's points accounts and then its lots (the lock
 * order every points operation uses).
 */
export async function expirePoints(ctx: Context, asOf: Date): Promise<ExpiryResult> {
  const result: ExpiryResult = { asOf: asOf.toISOString(), cards: 0, lots: 0, points: 0, entries: 0 };
  const schemes = new Map<number, SchemeRow>();
  let after = 0;
  for (;;) {
    const batch = await withTransaction(ctx.db.pg, async (client) => {
      const { rows: cards } = await client.query<{ card_id: number }>({
        name: 'points_expiry_cards',
        text: `
          select distinct card_id from points_lots
          where remaining > 0 and expires_at <= $1 and card_id > $2
          order by card_id limit $3`,
        values: [asOf, after, CARDS_PER_TRANSACTION],
      });
      if (cards.length === 0) return null;
      const cardIds = cards.map((c) => c.card_id);
      // Accounts first, ascending (card, asset), then the lots: each locked by a query routed to
      // one card (migrations 000231, 000250), as Citus locks rows only in single-shard queries.
      await client.query({ name: 'points_expiry_lock_accounts', text: 'select 1 from purse_citus_lock_accounts($1::bigint[])', values: [cardIds] });
      const { rows: lots } = await client.query<{ card_id: number; id: number; scheme_id: number; remaining: number }>({
        name: 'points_expiry_lots',
        text: 'select card_id, id, scheme_id, remaining from purse_lock_expired_lots($1::bigint[], $2)',
        values: [cardIds, asOf],
      });
      const groups = new Map<string, { cardId: number; schemeId: number; lotIds: number[]; deltas: number[]; points: number }>();
      for (const l of lots) {
        const key = `${l.card_id}|${l.scheme_id}`;
        const g = groups.get(key) ?? { cardId: l.card_id, schemeId: l.scheme_id, lotIds: [], deltas: [], points: 0 };
        g.lotIds.push(l.id);
        g.deltas.push(-l.remaining);
        g.points += l.remaining;
        groups.set(key, g);
      }
      const now = ctx.clock.now();
      const entries: Entry[] = [];
      for (const g of groups.values()) {
        if (!schemes.has(g.schemeId)) schemes.set(g.schemeId, (await schemeById(client, g.schemeId))!);
        entries.push(expiryEntry(schemes.get(g.schemeId)!, g.cardId, g.points, { occurredAt: now }, { as_of: asOf.toISOString(), lots: g.lotIds.length }));
      }
      const ids = await postEntries(client, await openBusinessDate(client, now, ctx.calendar), entries);
      for (const [i, g] of [...groups.values()].entries()) await moveLots(client, g.cardId, g.lotIds, g.deltas, ids[i]!);
      return {
        lastCard: cardIds[cardIds.length - 1]!, cards: new Set(lots.map((l) => l.card_id)).size, lots: lots.length,
        points: lots.reduce((n, l) => n + l.remaining, 0), entries: entries.length,
      };
    });
    if (batch === null) break;
    result.cards += batch.cards;
    result.lots += batch.lots;
    result.points += batch.points;
    result.entries += batch.entries;
    after = batch.lastCard;
  }
  ctx.logger.info({ job: 'points-expiry', ...result }, 'points expired');
  return result;
}
