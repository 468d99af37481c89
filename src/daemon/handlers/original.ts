import type { DecideContext, Handler, Outcome, TxnState, UndoKind } from './types.js';
import { decline, negation } from './common.js';
import { checkCard } from '../precedence.js';

/**
 * The checks every type that names an original shares, in the order of design §5: the original
 * exists on this channel (25), the message's merchant, when given, is the original's (58), and the
 * original's card passes the card checks (precedence.ts). Returns the original, or the decline.
 */
export function originalFor(dc: DecideContext, handler: Handler): TxnState | Outcome {
  const o = dc.original;
  if (!o || o.status === 'marker') return decline('25');
  if (dc.merchant && o.merchantId !== dc.merchant.id) return decline('58', { originalId: o.id });
  if (dc.card) {
    const refused = checkCard(dc, handler, dc.card);
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

/**
 * Undoes original `o` by a void or a reversal: its type's own `undo` when it has one (points),
 * else its entry negated; marks it voided or reversed when approved, 12 when there is nothing to undo.
 */
export function undoOriginal(kind: UndoKind, o: TxnState, dc: DecideContext): Outcome {
  const handler = dc.handlerOf(o.type!);
  const out = handler?.undo ? handler.undo(kind, o, dc) : negation(kind, o, dc, dc.card);
  if (!out) return decline('12', { originalId: o.id });
  if (out.code === '00') {
    o.status = kind === 'void' ? 'voided' : 'reversed';
    o.dirty = true;
  }
  return out;
}
