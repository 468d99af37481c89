import type { DecideContext, Handler, Outcome, TxnState } from './types.js';
import { cardChecks, decline } from './common.js';

/**
 * The checks every type that names an original shares: the original exists on this channel (25),
 * the message's merchant, when given, is the original's (58), and the original's card passes the
 * generic card checks. Returns the original, or the decline.
 */
export function originalFor(dc: DecideContext, handler: Handler): TxnState | Outcome {
  const o = dc.original;
  if (!o || o.status === 'marker') return decline('25');
  if (dc.merchant && o.merchantId !== dc.merchant.id) return decline('58', { originalId: o.id });
  if (dc.card) {
    const refused = cardChecks(dc, handler, dc.card);
    if (refused) return { ...refused, originalId: o.id };
  }
  return o;
}

export function isOutcome(x: TxnState | Outcome): x is Outcome {
  return 'code' in x;
}

/** Whether an original has been undone already (void or reversal). */
export function undone(o: TxnState): boolean {
  return o.status === 'voided' || o.status === 'reversed';
}
