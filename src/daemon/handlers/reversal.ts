import type { Handler } from './types.js';
import { decline } from './common.js';
import { undone, undoOriginal } from './original.js';
import { REQUESTS } from '../message.js';

/**
 * `reversal`: the original never completed, so its entry is negated with the channel fee, into the
 * original's business date. Always acknowledged (00) when there is nothing (more) to do: an unknown
 * original leaves a marker (the late original is declined 94), a repeat has no further effect. A
 * settled original date 12 (refund instead); a loaded value already spent 51.
 */
export const reversal: Handler = {
  type: 'reversal',
  schema: REQUESTS.reversal,
  needsPin: false,
  usesOriginal: true,
  skipStatus: 'all',
  decide(dc) {
    const o = dc.original;
    if (!o) return decline('96');
    if (o.status === 'marker' || undone(o) || !o.approved) return { code: '00', originalId: o.id };
    if (o.type === 'void' || o.type === 'reversal' || o.refundedAmount > 0) return decline('12', { originalId: o.id });
    if (o.businessDate !== dc.businessDate && !dc.dateOpen(o.businessDate)) return decline('12', { originalId: o.id });
    return undoOriginal('reversal', o, dc);
  },
};
