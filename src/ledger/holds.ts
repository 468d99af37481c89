import type { Context } from '../context.js';
import type { Queryable } from './post.js';
import { withTransaction } from '../db/tx.js';

/** A hold to place: `amount` of `asset` reserved on a card until `expiresAt` (design §4 "Holds"). */
export interface NewHold {
  cardId: number;
  asset: string;
  amount: number;
  transactionId: number | null;
  expiresAt: Date;
}

/** An open hold as read under its card's lock. */
export interface Hold {
  id: number;
  cardId: number;
  asset: string;
  amount: number;
  remaining: number;
  expiresAt: Date;
  status: 'open' | 'captured' | 'released' | 'expired';
}

export type HoldClose = 'captured' | 'released' | 'expired';

/**
 * Places holds in one statement: inserts them and adds their amounts to card_accounts.held
 * (available = balance − held). The caller holds the cards' row locks and has checked that each
 * amount is available; the CHECK held <= balance refuses anything else. Returns the hold ids in order.
 */
export async function placeHolds(db: Queryable, holds: readonly NewHold[]): Promise<number[]> {
  if (holds.length === 0) return [];
  const { rows } = await db.query<{ id: number }>({
    name: 'holds_place',
    text: PLACE_SQL,
    values: [holds.map((h) => h.cardId), holds.map((h) => h.asset), holds.map((h) => h.amount), holds.map((h) => h.transactionId), holds.map((h) => h.expiresAt)],
  });
  return rows.map((r) => r.id);
}

// One statement: the new holds, then held += their sum per (card, asset). Ordinality keeps the
// returned ids in input order.
export const PLACE_SQL = `
with x as (
  select * from unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::timestamptz[])
    with ordinality as x(card_id, asset, amount, transaction_id, expires_at, ord)
), ins as (
  insert into holds (card_id, asset, amount, remaining, transaction_id, expires_at)
  select card_id, asset, amount, amount, transaction_id, expires_at from x order by ord
  returning id, card_id, asset, amount
), held as (
  update card_accounts a set held = a.held + s.total
  from (select card_id, asset, sum(amount) as total from x group by card_id, asset) s
  where a.card_id = s.card_id and a.asset = s.asset
)
select id from ins order by id`;

/**
 * Closes open holds (captured, released or expired) in one statement and takes what they still
 * reserved off card_accounts.held. A hold that is no longer open is left alone, so a hold is
 * released exactly once however often this runs. The caller holds the cards' row locks.
 * Returns the holds actually closed with the amount each still reserved.
 */
export async function closeHolds(db: Queryable, closes: readonly { holdId: number; status: HoldClose }[], at: Date): Promise<{ id: number; cardId: number; released: number }[]> {
  if (closes.length === 0) return [];
  const { rows } = await db.query<{ id: number; card_id: number; released: number }>({
    name: 'holds_close',
    text: CLOSE_SQL,
    values: [closes.map((c) => c.holdId), closes.map((c) => c.status), at],
  });
  return rows.map((r) => ({ id: r.id, cardId: r.card_id, released: r.released }));
}

export const CLOSE_SQL = `
with x as (
  select * from unnest($1::bigint[], $2::text[]) as x(id, status)
), closed as (
  update holds h set status = x.status, remaining = 0, closed_at = $3::timestamptz
  from x, (select id, remaining from holds where id in (select id from x)) old
  where h.id = x.id and old.id = h.id and h.status = 'open'
  returning h.id, h.card_id, h.asset, old.remaining as released
), held as (
  update card_accounts a set held = a.held - s.total
  from (select card_id, asset, sum(released) as total from closed group by card_id, asset) s
  where a.card_id = s.card_id and a.asset = s.asset
)
select id, card_id, released from closed`;

/** Reads holds by id (call under the cards' row locks to see a stable state). */
export async function readHolds(db: Queryable, ids: readonly number[]): Promise<Map<number, Hold>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<{ id: number; card_id: number; asset: string; amount: number; remaining: number; expires_at: Date; status: Hold['status'] }>({
    name: 'holds_read',
    text: 'select id, card_id, asset, amount, remaining, expires_at, status from holds where id = any($1::bigint[])',
    values: [ids],
  });
  return new Map(rows.map((r) => [r.id, { id: r.id, cardId: r.card_id, asset: r.asset, amount: r.amount, remaining: r.remaining, expiresAt: r.expires_at, status: r.status }]));
}

/**
 * The hold-expiry job: releases every open hold whose expiry (by the context clock) has passed,
 * in chunks of 1000, locking the cards in ascending id order as the daemon does (so it never
 * deadlocks with authorizations). Each hold is released exactly once. Returns the counts.
 */
export async function expireDueHolds(ctx: Context, chunk = 1000): Promise<{ expired: number; released: number }> {
  const now = ctx.clock.now();
  let expired = 0;
  let released = 0;
  for (;;) {
    const done = await withTransaction(ctx.db.pg, async (client) => {
      const { rows } = await client.query<{ id: number; card_id: number }>(
        `select id, card_id from holds where status = 'open' and expires_at <= $1 order by card_id, id limit $2`, [now, chunk]);
      if (rows.length === 0) return null;
      // the cards in id order, each by a query routed to one card (Citus locks rows only so: migration 000231)
      await client.query('select 1 from purse_citus_lock_cards($1::bigint[])', [[...new Set(rows.map((r) => r.card_id))]]);
      const closed = await closeHolds(client, rows.map((r) => ({ holdId: r.id, status: 'expired' as const })), now);
      return { count: closed.length, amount: closed.reduce((s, c) => s + c.released, 0), seen: rows.length };
    });
    if (!done) break;
    expired += done.count;
    released += done.amount;
    if (done.seen < chunk) break;
  }
  return { expired, released };
}
