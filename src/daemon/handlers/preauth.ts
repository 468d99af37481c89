import type { DecideContext, Handler, TxnState, UndoKind } from './types.js';
import { decline } from './common.js';
import { approvable } from './purchase.js';
import { REQUESTS } from '../message.js';

const DAY_MS = 86_400_000;

/**
 * `preauth`: places a hold on the available value (no entry, no fee) that expires after the
 * program's hold days by the business clock. `partial` holds up to the available value (10).
 */
export const preauth: Handler = {
  type: 'preauth',
  schema: REQUESTS.preauth,
  needsPin: true,
  usesOriginal: false,
  placesHolds: true,
  decide(dc) {
    const card = dc.card!;
    const ok = approvable(dc, dc.msg.amount!);
    if (!ok) return decline('51');
    const expiresAt = new Date(dc.now.getTime() + card.program.holdExpiryDays * DAY_MS);
    return { code: ok.code, amountApproved: ok.amount, placeHold: { asset: card.program.currency, amount: ok.amount, expiresAt } };
  },
  /**
   * Undoing a preauth releases its hold if still open; an expired or released hold leaves nothing
   * to undo (00). A captured hold answers 12: void or reverse the capture instead.
   */
  undo(_kind: UndoKind, original: TxnState, dc: DecideContext) {
    const hold = original.holdId === null ? undefined : dc.hold(original.holdId);
    if (hold?.status === 'captured') return decline('12', { originalId: original.id });
    if (hold?.status === 'open') return { code: '00', amountApproved: original.amountApproved, originalId: original.id, closeHold: { holdId: hold.id, status: 'released' } };
    return { code: '00', amountApproved: 0, originalId: original.id };
  },
};
