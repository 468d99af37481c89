/**
 * From the points domain's outcomes (src/points/**) to the pipeline's. The points types decide
 * purely over the batch's points state, the undo of points (claw-backs, reversals) too; their
 * entries and bookkeeping (lots, draws: src/points/effects-sql.ts) are written by the write step,
 * in its one message. A batch decides one
 * message that touches a card's lots (batch.ts), as src/points/outcome.ts asks that one request be
 * finished before the next on the same card is decided.
 */
import { balancedEntry, type Entry } from '../../ledger/entry.js';
import { pointsAsset } from '../../ledger/accounts.js';
import type { PointsApproval, PointsOutcome } from '../../points/outcome.js';
import { decidePointsReversal } from '../../points/reversal.js';
import { InvariantError } from '../../errors.js';
import type { PointsView } from '../../points/view.js';
import { decline, feeLegs } from './common.js';
import type { DecideContext, Outcome, PointsPart, TxnState, UndoKind } from './types.js';

/** The bookkeeping of each approval, its entries `offset` entries into the outcome's. */
export function pointsParts(parts: readonly PointsApproval[], offset: number): PointsPart[] {
  let i = offset;
  return parts.map((p) => {
    const part = { offset: i, effects: p.effects };
    i += p.entries.length;
    return part;
  });
}

/**
 * The outcome of an approved points message: its entries, the channel's fixed fee as two more legs of
 * its first entry (design §4: points types pay the fixed part only, in the same entry; a message that
 * moves nothing pays none), finished (lots, draws) right after its entries are posted by the write
 * step. `amountApproved` is the domain's: points,
 * except for points_earn (the purchase amount); the row's asset is the scheme's unless `asset` says otherwise.
 */
export function pointsOutcome(o: PointsOutcome, dc: DecideContext, extra: { asset?: string; originalId?: number } = {}): Outcome {
  if (!o.approved) return decline(o.code, extra.originalId === undefined ? {} : { originalId: extra.originalId });
  const fee = o.entries.length > 0 ? dc.channel.feeFixed : 0;
  let entries: Entry[] = o.entries;
  if (fee > 0) {
    const [first, ...rest] = o.entries;
    const { kind, postings, ...opts } = first!;
    entries = [balancedEntry(kind, [...postings, ...feeLegs(dc.channel, fee, dc.card!.program.currency)], opts), ...rest];
  }
  return {
    code: o.code, amountApproved: o.amountApproved, asset: extra.asset ?? assetOf(o.detail, dc.card!.program.currency), entries, channelFee: fee,
    points: pointsParts([o], 0), detail: o.detail, ...(extra.originalId === undefined ? {} : { originalId: extra.originalId }),
  };
}

/** A `base` outcome (e.g. a stored-value negation) with points approvals appended: their entries after its own, finished after posting. */
export function withPoints(base: Outcome, parts: readonly PointsApproval[], detail: Record<string, unknown>): Outcome {
  const own = base.entries ?? [];
  const added = parts.flatMap((p) => p.entries);
  return { ...base, entries: [...own, ...added], points: [...(base.points ?? []), ...pointsParts(parts, own.length)], detail: { ...base.detail, ...detail } };
}

/** The batch's points state (the prefetch reads it for every batch with a points message or an original). */
export function pointsState(dc: DecideContext): PointsView {
  if (!dc.points) throw new InvariantError('points_not_prefetched', `${dc.msg.type}: the batch has no points state`);
  return dc.points;
}

/** The asset of a points scheme code found in a domain outcome's detail. */
export function assetOf(detail: Record<string, unknown>, fallback: string): string {
  return typeof detail.scheme === 'string' ? pointsAsset(detail.scheme) : fallback;
}

/**
 * Void or reversal of a points transaction (every points type's `undo`): its points entries negated
 * with their lots put back exactly (a void keeps the channel fee, a reversal negates it), a draw
 * marked reversed once, an earn clawed back (capped, never declined). 51 when points it credited are
 * spent (nothing moves). Posted into the original's business date. `base`: what the caller undoes
 * itself (a refund's stored-value entry), to which the points part is added.
 */
export function undoPoints(kind: UndoKind, original: TxnState, dc: DecideContext, base?: Outcome): Outcome {
  const o = decidePointsReversal(pointsState(dc), {
    originalTransactionId: original.id, mode: kind, at: dc.now, transactionId: dc.transactionId, channelId: original.channelId, businessDate: original.businessDate,
  });
  if (!o.approved) return decline(o.code, { originalId: original.id });
  const start: Outcome = base ?? { code: '00', amountApproved: original.amountApproved, originalId: original.id, asset: original.asset ?? undefined };
  if (o.alreadyReversed || o.entries.length + o.effects.length === 0) return start;
  const { points_clawed_back: clawed, shortfall } = o.detail as { points_clawed_back?: number; shortfall?: number };
  return withPoints(start, [o], { points_clawed_back: clawed ?? 0, shortfall: shortfall ?? 0 });
}
