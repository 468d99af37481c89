import type { DecideContext, Handler, Outcome, TxnState } from './types.js';
import { decline, negation } from './common.js';
import { undone, undoOriginal } from './original.js';
import { linkedEarns } from './points-links.js';
import { REQUESTS } from '../message.js';

/**
 * `reversal`: the original never completed, so its entry is negated with the channel fee, into the
 * original's business date. Always acknowledged (00) when there is nothing (more) to do: an unknown
 * original leaves a marker (the late original is declined 94), a repeat has no further effect. A
 * settled original date 12 (refund instead); a loaded value already spent 51. A reversal of a void
 * puts the voided original back (reverseVoid).
 */
export const reversal: Handler = {
  type: 'reversal',
  schema: REQUESTS.reversal,
  needsPin: false,
  needs: { card: 'original', original: true },
  entryKind: 'reversal',
  skipStatus: 'all',
  decide(dc) {
    const o = dc.original;
    if (!o) return decline('96');
    if (o.status === 'marker' || undone(o) || !o.approved) return { code: '00', originalId: o.id };
    if (o.type === 'reversal' || o.refundedAmount > 0) return decline('12', { originalId: o.id });
    if (o.businessDate !== dc.businessDate && !dc.dateOpen(o.businessDate)) return decline('12', { originalId: o.id });
    if (o.type === 'void') return reverseVoid(o, dc);
    return undoOriginal('reversal', o, dc);
  },
};

/** Types whose void only negated their entry, so that negating the void's entry puts them back whole. */
const REINSTATED = new Set(['purchase', 'capture', 'load']);

/**
 * A reversal of a void (a POS terminal reverses a void whose answer it never saw): the void never
 * happened, so its entry is negated (settled as the voided type, so the three entries net to the
 * original) and the original stands approved again; its card must still cover it (51) and stay
 * within its maximum (61). A void that did more than negate an entry (released a hold, returned a
 * refund's amount, put points back, clawed linked points back, reset an activated card) is not
 * undone: 12.
 */
function reverseVoid(v: TxnState, dc: DecideContext): Outcome {
  const o = v.originalId === null ? undefined : dc.txn(v.originalId);
  if (!o || o.status !== 'voided' || !REINSTATED.has(o.type ?? '') || linkedEarns(dc.extra).get(o.id)?.length) {
    return decline('12', { originalId: v.id });
  }
  const out = negation('reversal', v, dc, dc.card, o.type);
  if (out.code === '00') {
    v.status = 'reversed';
    v.dirty = true;
    o.status = 'approved';
    o.dirty = true;
  }
  return out;
}
