/**
 * The points bookkeeping of an approved outcome (lots, draws, claw-back records: `PointsEffect`)
 * as SQL statements, one per effect, once its entries have ids. The same SQL serves both callers:
 * `finishPoints` runs them one by one for a single request, and the daemon's batch runs them as
 * SQL-level prepared statements inside its one write message (daemon/batch-write.ts), so a points
 * message costs the batch no round trip of its own. A statement that must change exactly what the
 * decision counted on checks it in SQL (purse_assert, migration 000271).
 */
import type { PointsEffect } from './outcome.js';

/** The effect statements: name → SQL (parameters typed by casts). */
export const EFFECT_SQL = {
  // A credit is a new lot and its move.
  purse_points_credit_lot: `
    with l as (
      insert into points_lots (card_id, scheme_id, points, remaining, expires_at, source_entry_id)
      values ($1::bigint, $2::bigint, $3::bigint, $3::bigint, $4::timestamptz, $5::bigint) returning card_id, id
    )
    insert into points_lot_moves (card_id, lot_id, entry_id, points) select card_id, id, $5::bigint, $3::bigint from l`,
  // A debit consumes lots oldest first: the lots the credits being taken back created ($5), then
  // by expiry (never-expiring last), then id; only lots valid at $4 unless $4 is null (a claw-back
  // takes expired points too). The decision counted the points, so the lots must hold them all.
  purse_points_debit_lots: `
    with lots as (
      select id, remaining, source_entry_id = any($5::bigint[]) as preferred, expires_at from points_lots
      where card_id = $1::bigint and scheme_id = $2::bigint and remaining > 0
        and ($4::timestamptz is null or expires_at is null or expires_at > $4::timestamptz)
      for update
    ), running as (
      select id, remaining, sum(remaining) over (order by preferred desc, expires_at asc nulls last, id) - remaining as before
      from lots
    ), takes as (
      select id, least(remaining, $3::bigint - before) as take from running where before < $3::bigint
    ), moved as (
      update points_lots l set remaining = l.remaining - t.take from takes t where l.card_id = $1::bigint and l.id = t.id
    ), recorded as (
      insert into points_lot_moves (card_id, lot_id, entry_id, points) select $1::bigint, id, $6::bigint, -take from takes
    )
    select purse_assert(coalesce((select sum(take) from takes), 0) = $3::bigint, 'points_lots_short',
                        'card ' || $1::bigint || ' scheme ' || $2::bigint || ': the lots hold less than the ' || $3::bigint || ' points to debit')`,
  // Puts points back into one lot (the undo of a debit).
  purse_points_restore_lot: `
    with u as (
      update points_lots l set remaining = l.remaining + $3::bigint where l.card_id = $1::bigint and l.id = $2::bigint
    )
    insert into points_lot_moves (card_id, lot_id, entry_id, points) values ($1::bigint, $2::bigint, $4::bigint, $3::bigint)`,
  // The prize row was locked when the draw was decided, so the unit counted in stock is still there.
  purse_points_take_stock: `
    with u as (update lottery_prizes set stock = stock - 1 where id = $1::bigint and stock > 0 returning id)
    select purse_assert((select count(*) from u) = 1, 'lottery_stock', 'prize ' || $1::bigint || ': no stock left to take')`,
  purse_points_record_draw: `
    insert into lottery_draws (card_id, game_id, random_value, drawn_prize_id, prize_id, cost_points, entry_id, prize_entry_id, transaction_id, occurred_at)
    values ($1::bigint, $2::bigint, $3::bigint, $4::bigint, $5::bigint, $6::bigint, $7::bigint, $8::bigint, $9::bigint, $10::timestamptz)`,
  // Unlimited prizes (stock null) are never touched, so they are never a hot row.
  purse_points_reverse_draw: `
    with d as (
      update lottery_draws set reversed = true, reversal_entry_id = $3::bigint
      where card_id = $1::bigint and id = $2::bigint and not reversed
    )
    update lottery_prizes set stock = stock + 1 where id = $4::bigint and stock is not null`,
  purse_points_record_clawback: `
    insert into points_clawbacks (card_id, earn_entry_id, transaction_id, entry_id, returned_amount, points_intended, points_clawed)
    values ($1::bigint, $2::bigint, $3::bigint, $4::bigint, $5::bigint, $6::bigint, $7::bigint)`,
  purse_points_reverse_clawback: `update points_clawbacks set reversed = true where card_id = $1::bigint and id = $2::bigint`,
} as const;

export type EffectStatement = keyof typeof EFFECT_SQL;

/** One effect as (statement, arguments); `entryId(i)` is the id of the outcome's i-th entry. */
export function effectStatement(e: PointsEffect, entryId: (i: number | null) => number | null): [EffectStatement, unknown[]] {
  switch (e.type) {
    case 'lot_credit':
      return ['purse_points_credit_lot', [e.cardId, e.schemeId, e.points, e.expiresAt, entryId(e.entry)]];
    case 'lot_debit':
      return ['purse_points_debit_lots', [e.cardId, e.schemeId, e.points, e.spendableAt, e.preferSourceEntryIds, entryId(e.entry)]];
    case 'lot_restore':
      return ['purse_points_restore_lot', [e.cardId, e.lotId, e.points, entryId(e.entry)]];
    case 'stock_take':
      return ['purse_points_take_stock', [e.prizeId]];
    case 'draw_record':
      return ['purse_points_record_draw', [
        e.cardId, e.gameId, e.randomValue, e.drawnPrizeId, e.prizeId, e.costPoints, entryId(e.entry), entryId(e.prizeEntry), e.transactionId, e.occurredAt,
      ]];
    case 'draw_reversed':
      return ['purse_points_reverse_draw', [e.cardId, e.drawId, entryId(e.entry), e.prizeId]];
    case 'clawback_record':
      return ['purse_points_record_clawback', [e.cardId, e.earnEntryId, e.transactionId, entryId(e.entry), e.returnedAmount, e.pointsIntended, e.pointsClawed]];
    case 'clawback_reversed':
      return ['purse_points_reverse_clawback', [e.cardId, e.clawbackId]];
  }
}
