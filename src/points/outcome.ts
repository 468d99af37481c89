/**
 * What a points `prepare…` function answers, and `finishPoints`, which applies the outcome's
 * bookkeeping once its entries are posted. The calling sequence, inside ONE transaction:
 *
 *   const o = await prepareRedeem(ctx, client, req);          // locks, checks, decides
 *   if (!o.approved) → respond o.code (nothing was written)
 *   const ids = await postEntries(client, businessDate, o.entries);
 *   await finishPoints(client, o, ids);                         // lots, draw / claw-back records
 *
 * Finish one request before preparing the next one on the same card in the same transaction.
 */
import type { Entry } from '../ledger/entry.js';
import type { Queryable } from '../ledger/post.js';
import { InvariantError } from '../errors.js';
import type { LotEffect } from './lots.js';
import { EFFECT_SQL, effectStatement } from './effects-sql.js';

/** DE39 codes the points domain answers (design §5). */
export type PointsDeclineCode = '12' | '13' | '51' | '57';

export interface PointsDecline {
  approved: false;
  /** 12 invalid transaction (unknown scheme/game, no earn rule, no rate in force), 13 invalid amount, 51 insufficient points, 57 not permitted (scheme not accepted at the merchant, card program without points). */
  code: PointsDeclineCode;
  message: string;
}

/** Records a draw once its entries have ids. */
export interface DrawRecordEffect {
  type: 'draw_record'; entry: number | null; prizeEntry: number | null;
  cardId: number; gameId: number; randomValue: number; drawnPrizeId: number | null; prizeId: number | null;
  costPoints: number; transactionId: number | null; occurredAt: Date;
}

/** Marks a draw reversed (exactly once: the row is locked and checked when prepared) and puts its prize back in stock. */
export interface DrawReversedEffect { type: 'draw_reversed'; entry: number | null; cardId: number; drawId: number; prizeId: number | null }

/** Records a claw-back event (the cumulative state of an earn). */
export interface ClawbackRecordEffect {
  type: 'clawback_record'; entry: number | null; cardId: number; earnEntryId: number; transactionId: number | null;
  returnedAmount: number; pointsIntended: number; pointsClawed: number;
}

/** Marks a claw-back reversed (its reversal restored the points), so later claw-backs of the earn count without it. */
export interface ClawbackReversedEffect { type: 'clawback_reversed'; cardId: number; clawbackId: number }

/** Takes one unit of a stocked prize the draw awarded (its row was locked when the draw was decided). */
export interface StockTakeEffect { type: 'stock_take'; prizeId: number }

export type PointsEffect = LotEffect | DrawRecordEffect | DrawReversedEffect | ClawbackRecordEffect | ClawbackReversedEffect | StockTakeEffect;

export interface PointsApproval {
  approved: true;
  /** 00 approved; 10 partial approval (points_redeem with partial). */
  code: '00' | '10';
  message: string;
  /** The request's amount (purchase minor units for points_earn, points otherwise; the game's cost for lottery). */
  amountRequested: number;
  /** The part approved (points debited or credited; for points_earn the purchase amount). */
  amountApproved: number;
  /** Entries to post, in this order, in the caller's transaction (may be empty: nothing moves). */
  entries: Entry[];
  /** Bookkeeping `finishPoints` applies after posting. */
  effects: PointsEffect[];
  /** Type-specific facts for the response and logs (points earned, exchange rate, prize, shortfall…). */
  detail: Record<string, unknown>;
  /** A reversal found its original already reversed: nothing to do (the pipeline answers 00 or 94). */
  alreadyReversed?: boolean;
}

export type PointsOutcome = PointsDecline | PointsApproval;

export function decline(code: PointsDeclineCode, message: string): PointsDecline {
  return { approved: false, code, message };
}

/**
 * Applies an approved outcome's bookkeeping after its entries were posted: `entryIds` are the ids
 * `postEntries` returned for `outcome.entries` (same order). Lot credits, debits (oldest-first,
 * under row locks) and restores; draw and claw-back records (effects-sql.ts, the statements the
 * daemon's batch runs in its write message). Must run in the posting transaction.
 */
export async function finishPoints(db: Queryable, outcome: PointsApproval, entryIds: readonly number[]): Promise<void> {
  if (entryIds.length !== outcome.entries.length) {
    throw new InvariantError('points_finish_ids', `finishPoints: ${entryIds.length} entry ids for ${outcome.entries.length} entries`);
  }
  const idOf = (i: number | null) => (i === null ? null : entryIds[i]!);
  for (const e of outcome.effects) {
    const [name, values] = effectStatement(e, idOf);
    await db.query({ name, text: EFFECT_SQL[name], values });
  }
}
