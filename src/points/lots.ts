/**
 * Points lots (design §4: card points "kept in lots with expiry"). Each credit of points is a lot
 * with an expiry from its scheme's validity; each debit consumes lots oldest-first (by expiry,
 * never-expiring last, then id). Invariant: a card's PTS:<scheme> balance = Σ remaining of its lots.
 *
 * Lock order (no deadlocks): a points operation first locks the card's card_accounts rows it will
 * touch in ascending (card_id, asset) order (`lockPointsAccounts`), then its lots; all lot changes go
 * through these functions inside the caller's transaction.
 */
import type { Queryable } from '../ledger/post.js';
import { EFFECT_SQL, effectStatement } from './effects-sql.js';
import { businessDateOf, cutoffInstant, endOfMonthAfter, type Calendar } from '../ledger/calendar.js';

/** A lot change to apply once the entry it belongs to is posted (`entry` = index in the outcome's entries). */
export type LotEffect =
  | { type: 'lot_credit'; entry: number; cardId: number; schemeId: number; points: number; expiresAt: Date | null }
  | {
    type: 'lot_debit'; entry: number; cardId: number; schemeId: number; points: number;
    /** Consume only lots still valid at this instant; null = expired lots too (claw-back, taking back credited points). */
    spendableAt: Date | null;
    /** Consume the lots these entries credited first (taking back a credit). */
    preferSourceEntryIds: number[];
  }
  | { type: 'lot_restore'; entry: number; cardId: number; lotId: number; points: number };

/**
 * When a lot credited at `at` expires: at the cut-off ending the last day of the month
 * `validityMonths` after the month of its business date (points earned on 2026-03-10 with 24
 * months' validity are spendable through 2028-03-31). Null = never.
 */
export function lotExpiry(at: Date, validityMonths: number | null, cal: Calendar): Date | null {
  if (validityMonths === null) return null;
  return cutoffInstant(endOfMonthAfter(businessDateOf(at, cal), validityMonths), cal);
}

/**
 * Locks the card's accounts of `assets` (FOR UPDATE) in ascending asset order and returns their
 * balances (0 for a missing account). With `create`, a missing account is created empty first, so
 * an account about to be credited is locked in order too (exchange S1→S2 racing S2→S1 on one card
 * would otherwise deadlock).
 */
export async function lockPointsAccounts(db: Queryable, cardId: number, assets: readonly string[], opts: { create?: boolean } = {}): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const asset of [...new Set(assets)].sort()) {
    let rows = (await db.query<{ balance: number }>({
      name: 'points_lock_account',
      text: 'select balance from card_accounts where card_id = $1 and asset = $2 for update',
      values: [cardId, asset],
    })).rows;
    if (rows.length === 0 && opts.create) {
      await db.query({
        name: 'points_create_account',
        text: 'insert into card_accounts (card_id, asset) values ($1, $2) on conflict do nothing',
        values: [cardId, asset],
      });
      rows = (await db.query<{ balance: number }>({
        name: 'points_lock_account',
        text: 'select balance from card_accounts where card_id = $1 and asset = $2 for update',
        values: [cardId, asset],
      })).rows;
    }
    out.set(asset, rows[0]?.balance ?? 0);
  }
  return out;
}

/**
 * The card's spendable points per scheme code at `at` (for `balance.points` in responses): every
 * scheme the card has an account in, expired lots not counted.
 */
export async function pointsBalances(db: Queryable, cardId: number, at: Date): Promise<Record<string, number>> {
  const { rows } = await db.query<{ code: string; n: number }>({
    name: 'points_balances',
    text: `
      select s.code, coalesce((select sum(l.remaining) from points_lots l
                               where l.card_id = a.card_id and l.scheme_id = s.id and l.remaining > 0
                                 and (l.expires_at is null or l.expires_at > $2)), 0)::bigint as n
      from card_accounts a join schemes s on a.asset = 'PTS:' || s.code
      where a.card_id = $1 order by s.code`,
    values: [cardId, at],
  });
  return Object.fromEntries(rows.map((r) => [r.code, r.n]));
}

/** One lot change recorded for an entry (for reversals: restore what it consumed, take back what it credited). */
export interface LotMove { lotId: number; schemeId: number; points: number }

/** Applies one lot effect for the posted entry `entryId`, recording its moves (effects-sql.ts). */
export async function applyLotEffect(db: Queryable, e: LotEffect, entryId: number): Promise<void> {
  const [name, values] = effectStatement(e, () => entryId);
  await db.query({ name, text: EFFECT_SQL[name], values });
}

/** Changes the remaining points of the card's lots by `deltas` and records the moves under `entryId`. */
export async function moveLots(db: Queryable, cardId: number, lotIds: readonly number[], deltas: readonly number[], entryId: number): Promise<void> {
  if (lotIds.length === 0) return;
  await db.query({
    name: 'points_move_lots',
    text: `
      with t as (select * from unnest($2::bigint[], $3::bigint[]) as t(lot_id, delta)),
      u as (
        update points_lots l set remaining = l.remaining + t.delta from t where l.card_id = $1 and l.id = t.lot_id
      )
      insert into points_lot_moves (card_id, lot_id, entry_id, points) select $1, lot_id, $4, delta from t`,
    values: [cardId, lotIds, deltas, entryId],
  });
}

/**
 * Moves every lot of `fromCardId` still holding points to `toCardId` (card replacement / balance
 * transfer, design §4 "points likewise per scheme"): each becomes a lot of the new card with the
 * same scheme and expiry, credited by `entryId` — the posted entry that moved the points balances —
 * and the old lots are emptied, with their moves. Expired lots not yet broken move too (they are
 * part of the balance). The caller holds the old card's account locks.
 */
export async function transferLots(db: Queryable, fromCardId: number, toCardId: number, entryId: number): Promise<void> {
  await db.query({
    name: 'points_transfer_lots',
    text: `
      with old as (
        select id, scheme_id, remaining, expires_at from points_lots
        where card_id = $1 and remaining > 0 order by expires_at asc nulls last, id for update
      ), emptied as (
        update points_lots l set remaining = 0 from old where l.card_id = $1 and l.id = old.id
      ), moved_out as (
        insert into points_lot_moves (card_id, lot_id, entry_id, points) select $1, id, $3, -remaining from old
      ), fresh as (
        insert into points_lots (card_id, scheme_id, points, remaining, expires_at, source_entry_id)
        select $2, scheme_id, remaining, remaining, expires_at, $3 from old order by expires_at asc nulls last, id
        returning card_id, id, points
      )
      insert into points_lot_moves (card_id, lot_id, entry_id, points) select card_id, id, $3, points from fresh`,
    values: [fromCardId, toCardId, entryId],
  });
}
