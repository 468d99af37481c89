import type { Handler } from './types.js';
import { decline } from './common.js';
import { isOutcome, originalFor, undone, undoOriginal } from './original.js';
import { REQUESTS } from '../message.js';

/**
 * `void` of an original on the same business date: its entry negated except the channel fee.
 * An original already voided or reversed, or itself a void or reversal, 94; another date, a
 * declined original, or a purchase already partly refunded 12.
 */
export const voidTxn: Handler = {
  type: 'void',
  schema: REQUESTS.void,
  needsPin: false,
  usesOriginal: true,
  decide(dc) {
    const o = originalFor(dc, voidTxn);
    if (isOutcome(o)) return o;
    if (undone(o) || o.type === 'void' || o.type === 'reversal') return decline('94', { originalId: o.id });
    if (!o.approved || o.refundedAmount > 0) return decline('12', { originalId: o.id });
    if (o.businessDate !== dc.businessDate) return decline('12', { originalId: o.id });
    return undoOriginal('void', o, dc);
  },
};
