import type pg from 'pg';
import type { Handler, Outcome } from './types.js';
import { decline, spendEntry } from './common.js';
import { isOutcome, originalFor, undone } from './original.js';
import { spendLinks } from './purchase.js';
import { REQUESTS } from '../message.js';

/**
 * `capture` of a preauth: posts the purchase (≤ the hold; partial allowed, default the whole hold)
 * and releases the rest of the hold. Above the hold 13; after the hold expired 12 (the hold is
 * expired then and there, once); a captured or undone preauth 94. The preauth fixes the merchant
 * as it fixes the card: `merchant`/`terminal` may be left out (when given they must be the
 * preauth's, else 58), and the commission is at the merchant's current rate either way.
 */
export const capture: Handler = {
  type: 'capture',
  schema: REQUESTS.capture,
  needsPin: false,
  usesOriginal: true,
  decide(dc) {
    const o = originalFor(dc, capture);
    if (isOutcome(o)) return o;
    if (o.type !== 'preauth' || !o.approved) return decline('12', { originalId: o.id });
    if (undone(o)) return decline('94', { originalId: o.id });
    const hold = o.holdId === null ? undefined : dc.hold(o.holdId);
    if (!hold || hold.status === 'captured' || hold.status === 'released') return decline('94', { originalId: o.id });
    if (hold.status === 'expired') return decline('12', { originalId: o.id });
    if (hold.expiresAt.getTime() <= dc.now.getTime()) return decline('12', { originalId: o.id, closeHold: { holdId: hold.id, status: 'expired' } });
    const amount = dc.msg.amount ?? hold.remaining;
    if (amount > hold.remaining) return decline('13', { originalId: o.id });
    const captured = (commissionBps: number): Outcome => {
      const { entry, commission, fee } = spendEntry('capture', dc, dc.card!, o.merchantId!, commissionBps, amount);
      return { code: '00', amountApproved: amount, entries: [entry], originalId: o.id, closeHold: { holdId: hold.id, status: 'captured' }, commission, channelFee: fee };
    };
    return dc.merchant ? captured(dc.merchant.commissionBps) : commissionBpsOf(dc.db, o.merchantId!).then(captured);
  },
  ...spendLinks,
};

/** A merchant's commission rate, for a capture that does not name its merchant. */
async function commissionBpsOf(db: pg.ClientBase, merchantId: number): Promise<number> {
  const { rows } = await db.query<{ commission_bps: number }>({
    name: 'daemon_merchant_commission', text: 'select commission_bps from merchants where id = $1', values: [merchantId],
  });
  return rows[0]!.commission_bps;
}
