/**
 * The points types of design §5 over the daemon's pipeline: `points_earn`, `points_redeem`,
 * `points_load`, `points_exchange`, `lottery`. The generic checks (58 registry, 14 card, 57 program,
 * card status and expiry, PIN) run first as for every card-bearing type; then the points domain
 * (src/points/**) decides, purely, over the batch's prefetched points state (`dc.points`); the
 * batch posts and finishes the outcome before its write step. `amount_requested` echoes the request's amount
 * (unused by lottery); `amount_approved` and the row's asset are in points of the scheme (lottery:
 * the game's cost) — except for points_earn, whose amounts stay the purchase amount in minor units
 * (what a refund of it returns, and transactions.refunded_amount <= amount_approved), the points
 * awarded being in `detail.points` and `balance.points`.
 */
import { decideEarn, decidePointsLoad } from '../../points/earn.js';
import { decideRedeem } from '../../points/redeem.js';
import { decideRedeemRefund } from '../../points/redeem-refund.js';
import { decideExchange } from '../../points/exchange.js';
import { decideLottery } from '../../points/lottery/draw.js';
import { decideClawback } from '../../points/clawback.js';
import { InvariantError } from '../../errors.js';
import type { PointsRequest } from '../../points/request.js';
import { decline } from './common.js';
import { undone } from './original.js';
import { pointsOutcome, pointsParts, pointsState, undoPoints } from './points-outcome.js';
import { linkedEarns } from './points-links.js';
import type { DecideContext, Handler, Outcome, TxnState, UndoKind } from './types.js';
import { REQUESTS } from '../message.js';

/** The domain request of a message that passed the generic checks (card and merchant known). */
function requestOf(dc: DecideContext): PointsRequest {
  return { cardId: dc.card!.id, merchantId: dc.merchant!.id, at: dc.now, transactionId: dc.transactionId, channelId: dc.channel.id };
}

/** Every points type is voided or reversed by negating its points entries, lots and draws exactly (points-outcome.ts). */
const undo = (kind: UndoKind, original: TxnState, dc: DecideContext): Outcome => undoPoints(kind, original, dc);

const common = { needsPin: false, needs: { card: 'message', original: false }, touchesLots: true, undo } as const;

const view = pointsState;

/**
 * The purchase a points_earn names (`original_request_id`): unknown 25; not an approved, not undone
 * purchase or capture 12; at another merchant 58; already rewarded by an earn 94; an amount above
 * what remains of it 13.
 */
function linkedPurchase(dc: DecideContext): TxnState | Outcome {
  const o = dc.original;
  if (!o || o.status === 'marker') return decline('25');
  const no = { originalId: o.id };
  if ((o.type !== 'purchase' && o.type !== 'capture') || !o.approved || undone(o)) return decline('12', no);
  if (o.merchantId !== dc.merchant!.id) return decline('58', no);
  if (linkedEarns(dc.extra).get(o.id)?.length) return decline('94', no);
  if (dc.msg.amount! > o.amountApproved - o.refundedAmount) return decline('13', no);
  return o;
}

/**
 * `points_earn`: the merchant's earn rule turns the purchase amount into points (design §4). With
 * `original_request_id` naming the purchase it rewards, the earn is linked to it (original_id): the
 * purchase's void, reversal or refund claws the points back (points-links.ts). A refund of the earn
 * itself (`amount` = the returned purchase amount) claws back in proportion, pays no channel fee,
 * and answers the returned amount as `amount_approved`.
 */
export const pointsEarn: Handler = {
  type: 'points_earn',
  entryKind: 'points_earn',
  schema: REQUESTS.points_earn,
  ...common,
  needs: { card: 'message', original: true },
  decide(dc) {
    let purchase: TxnState | null = null;
    if (dc.msg.originalRequestId !== null) {
      const p = linkedPurchase(dc);
      if ('code' in p) return p;
      purchase = p;
    }
    const o = decideEarn(view(dc), dc.ctx.calendar, { ...requestOf(dc), amount: dc.msg.amount!, purchaseTransactionId: purchase?.id ?? null });
    const out = pointsOutcome(o, dc, { asset: dc.card!.program.currency, originalId: purchase?.id });
    if (purchase && o.approved) {
      const links = linkedEarns(dc.extra);
      links.set(purchase.id, [...(links.get(purchase.id) ?? []), { transactionId: dc.transactionId, cardId: dc.card!.id, amount: dc.msg.amount! }]);
    }
    return out;
  },
  refund(amount, original, dc) {
    if (amount > original.amountApproved - original.refundedAmount) return decline('13', { originalId: original.id });
    const c = decideClawback(pointsState(dc), { earnTransactionId: original.id, returned: amount, at: dc.now, transactionId: dc.transactionId, channelId: dc.channel.id });
    original.refundedAmount += amount;
    original.dirty = true;
    return {
      code: '00', amountApproved: amount, originalId: original.id, asset: dc.card?.program.currency, entries: c.entries,
      points: pointsParts([c], 0), detail: c.detail,
    };
  },
};

/** `points_redeem`: pays with points at the merchant; `partial` approves what is spendable (10), else 51. */
export const pointsRedeem: Handler = {
  type: 'points_redeem',
  entryKind: 'points_redeem',
  schema: REQUESTS.points_redeem,
  ...common,
  needsPin: true,
  decide(dc) {
    const o = decideRedeem(view(dc), { ...requestOf(dc), points: dc.msg.amount!, scheme: dc.msg.scheme, partial: dc.msg.partial });
    return pointsOutcome(o, dc);
  },
  /**
   * Refund of a redeem (design §5): the points come back in proportion, never more than redeemed
   * (src/points/redeem-refund.ts); no channel fee, as for the refund of a points_earn.
   */
  refund(amount, original, dc) {
    const o = decideRedeemRefund(pointsState(dc), {
      redeemTransactionId: original.id, cardId: original.cardId!, redeemed: original.amountApproved, refundedBefore: original.refundedAmount,
      returned: amount, at: dc.now, transactionId: dc.transactionId, channelId: dc.channel.id,
    });
    if (!o.approved) return decline(o.code, { originalId: original.id });
    original.refundedAmount += amount;
    original.dirty = true;
    return { code: '00', amountApproved: amount, originalId: original.id, asset: original.asset ?? undefined, entries: o.entries, points: pointsParts([o], 0), detail: o.detail };
  },
};

/** `points_load`: points sold to the cardholder at the merchant, at the scheme's sale price. */
export const pointsLoad: Handler = {
  type: 'points_load',
  entryKind: 'points_load',
  schema: REQUESTS.points_load,
  ...common,
  decide(dc) {
    const o = decidePointsLoad(view(dc), dc.ctx.calendar, { ...requestOf(dc), points: dc.msg.amount!, scheme: dc.msg.scheme });
    return pointsOutcome(o, dc);
  },
};

/** `points_exchange`: `amount` points of `scheme` into `to_scheme` at the rate in force when the request arrived. */
export const pointsExchange: Handler = {
  type: 'points_exchange',
  entryKind: 'points_exchange',
  schema: REQUESTS.points_exchange,
  ...common,
  needsPin: true,
  decide(dc) {
    const o = decideExchange(view(dc), dc.ctx.calendar, { ...requestOf(dc), points: dc.msg.amount!, scheme: dc.msg.scheme, toScheme: dc.msg.toScheme! });
    return pointsOutcome(o, dc);
  },
};

/** `lottery`: a draw of the configured `game`, paid with its cost in points; the prize is in `detail`. */
export const lottery: Handler = {
  type: 'lottery',
  entryKind: 'lottery',
  schema: REQUESTS.lottery,
  ...common,
  needsPin: true,
  decide(dc) {
    const o = decideLottery(view(dc), dc.ctx.calendar, { ...requestOf(dc), game: dc.msg.game! }, () => {
      if (dc.draw === null) throw new InvariantError('lottery_no_draw', 'a lottery decided without a draw value');
      return dc.draw;
    });
    return pointsOutcome(o, dc);
  },
};

export const POINTS_HANDLERS: readonly Handler[] = [pointsEarn, pointsRedeem, pointsLoad, pointsExchange, lottery];
